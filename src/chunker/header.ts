import { CsvError, parse } from 'csv-parse/sync';
import type { RecordSyntax } from '../domain/index.js';
import { type ErrorCode, IngestError } from '../errors.js';
import { CR, LF } from './constants.js';
import type { Header } from './types.js';

/**
 * Parses the header record. `raw` holds everything before the first data record: leading blank lines (kept
 * so that header.raw + chunks reproduces the input exactly), then the header record with its line ending.
 * @param recordStart offset of the header record in `raw`, after the blank lines
 * @param limits refuses a header of more than `maxColumns` names (TOO_MANY_COLUMNS) before renaming them
 */
export function parseHeader(
  raw: Buffer,
  recordStart: number,
  syntax: RecordSyntax,
  limits: ColumnLimit = { maxColumns: Number.POSITIVE_INFINITY },
): Header {
  const line = countLineFeeds(raw, 0, recordStart) + 1;
  const originalNames = parseRecord(withoutLineEnding(raw.subarray(recordStart)), syntax, line);
  return headerOf(raw, originalNames, limits);
}

/** A header of the names given (no header record, or one the lenient policy read), over `raw`. */
export function headerOf(raw: Buffer, originalNames: string[], limits: ColumnLimit): Header {
  if (originalNames.length > limits.maxColumns) throw tooManyColumns(originalNames.length, limits);
  const lines = countLineFeeds(raw, 0, raw.length) + (raw.length === 0 || raw[raw.length - 1] === LF ? 0 : 1);
  return { raw, originalNames, names: renameColumns(originalNames), lines };
}

/** The column cap, and the file's name for the refusal's message. */
export interface ColumnLimit {
  maxColumns: number;
  name?: string;
}

/** The refusal of a header with `columns` columns, over the cap. */
export function tooManyColumns(columns: number, limits: ColumnLimit): IngestError {
  const file = limits.name ?? 'the file';
  return new IngestError(
    'TOO_MANY_COLUMNS',
    `${file} has ${columns} columns, more than the maximum of ${limits.maxColumns} (INGEST_MAX_COLUMNS)`,
    { columns, maxColumns: limits.maxColumns, ...(limits.name !== undefined && { file: limits.name }) },
  );
}

function parseRecord(record: Buffer, syntax: RecordSyntax, line: number): string[] {
  let records: string[][];
  try {
    // Same record delimiters the chunk workers must use: a file may mix LF and CRLF, a lone CR is data.
    records = parse(record, {
      delimiter: syntax.delimiter,
      quote: syntax.quote,
      escape: syntax.escape,
      ...(syntax.skipInitialSpace && { ltrim: true }),
      record_delimiter: ['\r\n', '\n'],
      bom: false,
    });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const code: ErrorCode =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'UNCLOSED_QUOTE'
        : err.code.includes('QUOTE')
          ? 'INVALID_QUOTE'
          : 'INTERNAL';
    throw new IngestError(code, `header on line ${line}: ${err.message}`, { line }, { cause: err });
  }
  // An empty record would mean a blank header line, which the caller skips; one record is all there can be.
  return records[0] ?? [''];
}

/**
 * Deterministic, collision-free column names: an empty name becomes `column_<n>` (n = 1-based position);
 * the second and later occurrences of a name become `<name>_2`, `<name>_3`, ..., skipping any name the
 * header already uses, so `a,,a,b,a` gives `a, column_2, a_2, b, a_3` and `a,a,a_2` gives `a, a_3, a_2`.
 */
export function renameColumns(originalNames: readonly string[]): string[] {
  const named = originalNames.map((name, i) => (name === '' ? `column_${i + 1}` : name));
  const taken = new Set(named);
  const seen = new Set<string>();
  // Where the search for each name's next free suffix resumes. `taken` only grows, so every suffix below
  // the last one handed out is still taken: resuming there finds what a search from 2 would, and each
  // `<name>_<n>` is stepped over at most once per name, which keeps renaming linear in the header
  // (a header of one name repeated N times was quadratic).
  const nextSuffix = new Map<string, number>();
  return named.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let suffix = nextSuffix.get(name) ?? 2;
    while (taken.has(`${name}_${suffix}`)) suffix++;
    nextSuffix.set(name, suffix + 1);
    const renamed = `${name}_${suffix}`;
    taken.add(renamed);
    seen.add(renamed);
    return renamed;
  });
}

function withoutLineEnding(record: Buffer): Buffer {
  let end = record.length;
  if (record[end - 1] === LF) end--;
  if (record[end - 1] === CR && end < record.length) end--;
  return record.subarray(0, end);
}

function countLineFeeds(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(LF, start); at !== -1 && at < end; at = bytes.indexOf(LF, at + 1)) count++;
  return count;
}
