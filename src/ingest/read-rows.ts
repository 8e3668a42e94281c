import type { Writable } from 'node:stream';
import type pg from 'pg';
import { type FileRecord, listRejectedRowsPage, type RejectedRowRecord, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';
import { firstEvent } from '../wait-for-event.js';
import { pickColumns, readRecordBatches } from './file-records.js';
import { formatCsvRecord } from './format-csv.js';

/** A page of a file's accepted rows, as `GET /v1/files/:id/rows` and `ingest rows --json` answer it. */
export interface RowsPage {
  columns: string[];
  /** Each row's fields as text, exactly as parsed (an empty field is ""), in `columns` order. */
  rows: string[][];
  offset: number;
  /** The offset of the next page, or null when this page reaches the end. */
  nextOffset: number | null;
  /** Accepted rows in the file. */
  total: number;
}

export interface PageOptions {
  offset: number;
  limit: number;
  /** Column names to return, in this order; all, in file order, when absent. */
  columns?: readonly string[];
}

/** One page of a ready file's rows, reading only the chunks that hold it (see readRecordBatches). */
export async function readRowsPage(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  options: PageOptions,
): Promise<RowsPage> {
  const { names, indices } = pickColumns(file, options.columns);
  const rows: string[][] = [];
  for await (const batch of readRecordBatches(pool, store, file, options)) {
    for (const record of batch) rows.push(indices.map((i) => record[i]!));
  }
  const total = file.rowCount ?? 0;
  const next = options.offset + rows.length;
  return { columns: names, rows, offset: options.offset, nextOffset: next < total ? next : null, total };
}

/** A page as RFC 4180 CSV, header first (what `Accept: text/csv` gets). */
export function rowsPageCsv(page: RowsPage): string {
  let text = formatCsvRecord(page.columns);
  for (const row of page.rows) text += formatCsvRecord(row);
  return text;
}

/**
 * Writes a range of a ready file's rows to `out` as RFC 4180 CSV, header first (the CSV form of `rows`,
 * and `export --offset/--limit`): one chunk's records at a time, honouring backpressure. `out` is not ended.
 */
export async function writeRowsCsv(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  out: Writable,
  options: { offset: number; limit?: number; columns?: readonly string[] },
): Promise<void> {
  const { names, indices } = pickColumns(file, options.columns);
  const write = async (text: string): Promise<void> => {
    if (!out.destroyed && !out.write(text)) await firstEvent(out, ['drain', 'close']);
    if (out.destroyed) throw new IngestError('CANCELLED', `the rows of file ${file.id} were closed early`);
  };
  await write(formatCsvRecord(names));
  const range =
    options.limit === undefined
      ? { offset: options.offset }
      : { offset: options.offset, limit: options.limit };
  for await (const batch of readRecordBatches(pool, store, file, range)) {
    let text = '';
    for (const record of batch) text += formatCsvRecord(indices.map((i) => record[i]!));
    await write(text);
  }
}

/** A page of a file's recorded rejected rows (line, code, reason, raw text as stored: capped). */
export interface RejectedPage {
  rejected: RejectedRowRecord[];
  offset: number;
  nextOffset: number | null;
  /** Rejected rows recorded (at most the recording cap). */
  total: number;
  /** Rows the ingest rejected in all, recorded or not. */
  rejectedRows: number;
}

export async function readRejectedPage(
  pool: pg.Pool,
  file: FileRecord,
  page: { offset: number; limit: number },
): Promise<RejectedPage> {
  const { rows, total } = await withTenant(pool, file.organizationId, (db) =>
    listRejectedRowsPage(db, file.organizationId, file.id, page),
  );
  const next = page.offset + rows.length;
  return {
    rejected: rows,
    offset: page.offset,
    nextOffset: next < total ? next : null,
    total,
    rejectedRows: file.rejectedRowCount ?? 0,
  };
}
