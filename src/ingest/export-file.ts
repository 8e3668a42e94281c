import type { Writable } from 'node:stream';
import type pg from 'pg';
import { type FileRecord, getFile, withTenant } from '../db/index.js';
import { recordSyntaxOf } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';
import { LIMITS } from '../limits.js';
import type { ObjectStore } from '../storage/index.js';
import { firstEvent } from '../wait-for-event.js';
import { parseRecords } from '../workers/index.js';
import { readFileChunks, verifiedChunkBytes } from './file-chunks.js';
import { formatCsvRecord } from './format-csv.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** A copy with every LF turned back into the CR it was read from. */
function lfToCr(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  for (let at = copy.indexOf(0x0a); at !== -1; at = copy.indexOf(0x0a, at + 1)) copy[at] = 0x0d;
  return copy;
}

export interface ExportOptions {
  /** Write the parsed records as RFC 4180 CSV (comma, `"` quoting, header first, UTF-8) instead of the original bytes. */
  normalize?: boolean;
  /** The object store, to read the chunks of an archived file from its archive object. */
  store: ObjectStore;
}

/** A ready file visible to the organization, or FILE_NOT_FOUND (also for another organization's file). */
export async function getReadyFile(
  pool: pg.Pool,
  organizationId: string,
  fileId: string,
): Promise<FileRecord> {
  const file = isUuid(fileId) ? await withTenant(pool, organizationId, (db) => getFile(db, fileId)) : null;
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
  options: ExportOptions,
): Promise<void> {
  await exportReadyFile(pool, await getReadyFile(pool, organizationId, fileId), out, options);
}

/** exportFile for a file the caller already has from getReadyFile. */
export async function exportReadyFile(
  pool: pg.Pool,
  file: FileRecord,
  out: Writable,
  options: ExportOptions,
): Promise<void> {
  const fileId = file.id;
  const { dialect, headerRaw, columns } = file;
  // markFileReady sets all three in the statement that makes a file ready.
  if (dialect === null || headerRaw === null || columns === null) {
    throw new IngestError('INTERNAL', `ready file ${fileId} has no dialect, header or columns`);
  }
  // A destination closed early (an HTTP client that went away) never drains: stop instead of waiting.
  const write = async (bytes: Buffer | string): Promise<void> => {
    if (!out.destroyed && !out.write(bytes)) await firstEvent(out, ['drain', 'close']);
    if (out.destroyed) throw new IngestError('CANCELLED', `the export of file ${fileId} was closed early`);
  };

  // CR-only files were read with each CR as LF (chunker/cr-line-endings.ts): give them back as they came.
  const crOnly = dialect.lineEnding === '\r';
  if (options.normalize) {
    await write(formatCsvRecord(columns.map((c) => c.name)));
  } else {
    if (dialect.bom) await write(UTF8_BOM);
    await write(crOnly ? lfToCr(headerRaw) : headerRaw);
  }
  const syntax = recordSyntaxOf(dialect);
  // Lenient files were read with padding and repairs, and end where a second table began.
  const onError = dialect.rows === 'lenient' ? 'lenient' : 'skip';
  let tableEnded = false;
  for await (const chunk of readFileChunks(pool, options.store, file)) {
    const raw = await verifiedChunkBytes(chunk, fileId);
    if (options.normalize) {
      if (tableEnded) continue;
      // The same parse and checks as ingest, in skip mode: exactly the accepted records come out, never
      // a row that was rejected (and recorded in rejected_rows) when the file was ingested.
      let text = '';
      const parsed = parseRecords(
        raw,
        {
          delimiter: dialect.delimiter,
          syntax,
          columnCount: columns.length,
          onError,
          maxRecordBytes: LIMITS.maxRecordBytes.max,
        },
        {
          add(fields) {
            text += formatCsvRecord(fields);
          },
          reset() {
            text = '';
          },
        },
      );
      if (parsed.tableEnd !== undefined) tableEnded = true;
      await write(text);
    } else {
      await write(crOnly ? lfToCr(raw) : raw);
    }
  }
}
