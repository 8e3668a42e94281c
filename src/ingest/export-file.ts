import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type pg from 'pg';
import xxhash from 'xxhash-wasm';
import { type FileRecord, getFile, readChunks, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import { RECORD_DELIMITERS } from '../workers/index.js';
import { formatCsvRecord } from './format-csv.js';

/** Chunks fetched per query while exporting: bounds memory to a few MiB whatever the file size. */
const EXPORT_PAGE = 8;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const hasher = xxhash();

export interface ExportOptions {
  /** Write the parsed records as RFC 4180 CSV (comma, `"` quoting, header first, UTF-8) instead of the original bytes. */
  normalize?: boolean;
}

/** A ready file visible to the organization, or FILE_NOT_FOUND (also for another organization's file). */
export async function getReadyFile(
  pool: pg.Pool,
  organizationId: string,
  fileId: string,
): Promise<FileRecord> {
  const file = /^[0-9a-f-]{36}$/i.test(fileId)
    ? await withTenant(pool, organizationId, (db) => getFile(db, fileId))
    : null;
  if (file?.status !== 'ready') throw new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId });
  return file;
}

/**
 * Rebuilds a file from its chunks and writes it to `out`, honouring backpressure. Without `normalize`,
 * the output is the decoded upload: for UTF-8 input, byte-identical to what was uploaded. Each chunk's
 * xxh64 is verified; a mismatch fails with CHECKSUM_MISMATCH rather than exporting damaged data.
 */
export async function exportFile(
  pool: pg.Pool,
  organizationId: string,
  fileId: string,
  out: Writable,
  options: ExportOptions = {},
): Promise<void> {
  const file = await getReadyFile(pool, organizationId, fileId);
  const { h64Raw } = await hasher;
  const dialect = file.dialect!;
  // A destination closed early (an HTTP client that went away) never drains: stop instead of waiting.
  const write = async (bytes: Buffer | string): Promise<void> => {
    if (!out.destroyed && !out.write(bytes)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
    if (out.destroyed) throw new IngestError('CANCELLED', `the export of file ${fileId} was closed early`);
  };

  if (options.normalize) {
    await write(formatCsvRecord(file.columns!.map((c) => c.name)));
  } else {
    if (dialect.bom) await write(UTF8_BOM);
    await write(file.headerRaw!);
  }
  for (let next = 0; next < (file.chunkCount ?? 0); ) {
    const page = await withTenant(pool, organizationId, (db) =>
      readChunks(db, organizationId, fileId, next, EXPORT_PAGE),
    );
    if (page.length === 0)
      throw new IngestError('CHECKSUM_MISMATCH', `file ${fileId} is missing chunk ${next}`, { fileId });
    for (const chunk of page) {
      const raw = gunzipSync(chunk.payload);
      if (BigInt.asIntN(64, h64Raw(raw)) !== chunk.xxh64 || raw.length !== chunk.rawBytes) {
        throw new IngestError(
          'CHECKSUM_MISMATCH',
          `chunk ${chunk.chunkIndex} of file ${fileId} does not match its checksum`,
          { fileId },
        );
      }
      if (options.normalize) {
        const records: string[][] = parse(raw, {
          delimiter: dialect.delimiter,
          record_delimiter: RECORD_DELIMITERS,
          relax_column_count: true,
          skip_empty_lines: (file.columns?.length ?? 0) > 1,
        });
        const width = file.columns!.length;
        let text = '';
        for (const record of records) if (record.length === width) text += formatCsvRecord(record);
        await write(text);
      } else {
        await write(raw);
      }
      next = chunk.chunkIndex + 1;
    }
  }
}
