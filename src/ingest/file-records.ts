import type pg from 'pg';
import { chunkIndexForRow, type FileRecord, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ObjectStore } from '../storage/index.js';
import { parseRecords } from '../workers/index.js';
import { readFileChunks, verifiedChunkBytes } from './file-chunks.js';

/** Which accepted rows to read: from `offset` (0-based), at most `limit` (all when absent). */
export interface RowRange {
  offset: number;
  limit?: number;
}

/**
 * A ready file's accepted records in order, one batch per chunk, for the rows in `range` only: the chunk
 * that holds the first row is found from the chunk rows' first_row and row_count, so a page deep in a
 * large file decompresses only the one or two chunks that hold it. Chunks are parsed with the same
 * parser and checks as ingest in skip mode, so exactly the accepted records come out (a row rejected at
 * ingest never appears, and the row numbering matches first_row). Archived files read the same way from
 * their archive object (frames before the range are skipped without decompressing them).
 *
 * Parsing runs on the calling thread: a chunk is at most the chunk size (1 MiB by default), and a caller
 * reads one chunk at a time.
 */
export async function* readRecordBatches(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  range: RowRange,
): AsyncGenerator<string[][]> {
  const { dialect, columns } = file;
  if (dialect === null || columns === null) {
    throw new IngestError('INTERNAL', `ready file ${file.id} has no dialect or columns`);
  }
  const total = file.rowCount ?? 0;
  const start = range.offset;
  const end = Math.min(total, range.limit === undefined ? total : start + range.limit);
  if (start >= end) return;
  // Chunk rows are in PostgreSQL unless the file is archived; a file archived since it was read is found
  // by readFileChunks, which then reads the archive from its start.
  const bounds = file.archive
    ? {}
    : await withTenant(pool, file.organizationId, async (db) => {
        const from = await chunkIndexForRow(db, file.organizationId, file.id, start + 1);
        const to = await chunkIndexForRow(db, file.organizationId, file.id, end);
        return { ...(from !== null && { fromIndex: from }), ...(to !== null && { toIndex: to }) };
      });
  for await (const chunk of readFileChunks(pool, store, file, bounds)) {
    const chunkStart = chunk.firstRow - 1;
    if (chunkStart + chunk.rowCount <= start) continue;
    if (chunkStart >= end) return;
    const raw = await verifiedChunkBytes(chunk, file.id);
    let records: string[][] = [];
    parseRecords(
      raw,
      {
        delimiter: dialect.delimiter,
        columnCount: columns.length,
        onError: 'skip',
        maxRecordBytes: LIMITS.maxRecordBytes.max,
      },
      {
        add(fields) {
          records.push(fields);
        },
        reset() {
          records = [];
        },
      },
    );
    if (records.length !== chunk.rowCount) {
      throw new IngestError(
        'CHECKSUM_MISMATCH',
        `chunk ${chunk.chunkIndex} of file ${file.id} parses to ${records.length} rows, recorded ${chunk.rowCount}`,
        { fileId: file.id },
      );
    }
    const from = Math.max(0, start - chunkStart);
    const to = Math.min(records.length, end - chunkStart);
    yield from === 0 && to === records.length ? records : records.slice(from, to);
    if (chunkStart + chunk.rowCount >= end) return;
  }
}

/** The columns a caller picked by name (all, in file order, when `names` is absent), with their indices. */
export function pickColumns(
  file: FileRecord,
  names: readonly string[] | undefined,
): { names: string[]; indices: number[] } {
  const all = (file.columns ?? []).map((c) => c.name);
  if (names === undefined) return { names: all, indices: all.map((_, i) => i) };
  const indices = names.map((name) => {
    const i = all.indexOf(name);
    if (i < 0) {
      throw new IngestError(
        'INVALID_OPTION',
        `columns must name columns of the file (${all.join(', ')}), got ${JSON.stringify(name)}`,
        { option: 'columns', fileId: file.id },
      );
    }
    return i;
  });
  return { names: [...names], indices };
}

/** Parses a comma-separated column list (`a,b`), refusing an empty one. */
export function parseColumnList(list: string): string[] {
  const names = list.split(',').map((s) => s.trim());
  if (names.length === 0 || names.some((n) => n === '')) {
    throw new IngestError(
      'INVALID_OPTION',
      `columns must be a comma-separated list of column names, got ${JSON.stringify(list)}`,
      {
        option: 'columns',
      },
    );
  }
  return names;
}
