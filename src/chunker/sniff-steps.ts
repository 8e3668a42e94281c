import { IngestError } from '../errors.js';
import { CR, LF, SPACE, TAB } from './constants.js';
import { detectTextFormat, type TextFormat } from './detect-input.js';
import { type ColumnLimit, headerOf, parseHeader, tooManyColumns } from './header.js';
import { sampleRecords } from './sample-records.js';
import { type SniffOverrides, type SniffResult, sniffDialect } from './sniff-dialect.js';
import type { Header } from './types.js';

/** What reading the header needs besides the sample. */
export interface HeaderLimits extends ColumnLimit {
  /** The header (with the blank lines before it) may not be longer than this (RECORD_TOO_LARGE). */
  maxRecordBytes: number;
  /**
   * The header record may not be longer than this (HEADER_TOO_LARGE): every column name is stored with
   * each of its metric rows, so the header's size bounds the metrics a file writes.
   */
  maxHeaderBytes: number;
  /** What the caller fixed instead of the sniffer (--delimiter, --no-header...). */
  overrides?: SniffOverrides;
  /**
   * The lenient policy: the header is read forgivingly (as its rows will be) and fitted to the width most
   * records agree on, so a header with a stray delimiter does not shift every column.
   */
  lenient?: boolean;
}

/** One try at reading the header off a sample: done, or the sample ends inside the header (read more). */
export type HeaderStep = { done: false } | { done: true; sniffed: SniffResult; header: Header };

/**
 * The CPU work of opening a file, on samples that grow with the input (a header may be up to
 * maxRecordBytes long): deciding the encoding, sniffing the dialect and parsing the header. The pipeline
 * runs these on the worker pool so that a hostile header costs the event loop nothing but copying bytes;
 * `inProcessSniffer` runs them in place (tests, and any caller without a pool).
 */
export interface Sniffer {
  textFormat(sample: Buffer, atEnd: boolean): Promise<TextFormat>;
  header(sample: Buffer, atEnd: boolean, limits: HeaderLimits): Promise<HeaderStep>;
}

export const inProcessSniffer: Sniffer = {
  textFormat: async (sample, atEnd) => detectTextFormat(sample, atEnd),
  header: async (sample, atEnd, limits) => headerStep(sample, atEnd, limits),
};

/**
 * Sniffs the dialect of `sample` (the decoded start of the input) and parses its header record, or says
 * that the sample ends inside the header. Refuses a header of more than `limits.maxColumns` fields
 * (TOO_MANY_COLUMNS) from the sniffer's field count, before parsing a single name.
 * @param atEnd the sample is the whole input
 */
export function headerStep(sample: Buffer, atEnd: boolean, limits: HeaderLimits): HeaderStep {
  if (atEnd && isBlank(sample)) {
    throw new IngestError('EMPTY_FILE', 'the file has no records, only blank lines or white space');
  }
  const sniffed = sniffDialect(sample, atEnd, limits.overrides);
  const start = sniffed.tableStart;
  if (start < sample.length || sniffed.headerEnd >= 0) {
    if (sniffed.headerUnclosed && sniffed.header) {
      const line = lineOf(sample, start);
      throw new IngestError('UNCLOSED_QUOTE', `the header on line ${line} has a quote that is never closed`, {
        line,
      });
    }
    if (sniffed.headerEnd >= 0) {
      if (sniffed.headerEnd - start > limits.maxRecordBytes) throw headerTooLarge(sample, start, limits);
      if (sniffed.headerEnd - start > limits.maxHeaderBytes)
        throw headerOverCap(sniffed.headerEnd - start, limits);
      const columns = limits.lenient || !sniffed.header ? sniffed.width : sniffed.headerFields;
      if (Math.max(columns, sniffed.headerFields) > limits.maxColumns)
        throw tooManyColumns(Math.max(columns, sniffed.headerFields), limits);
      const raw = Buffer.from(sample.subarray(0, sniffed.headerEnd));
      return { done: true, sniffed, header: readHeader(raw, sniffed, limits) };
    }
  }
  // Blank lines before the header count towards its size, so a file of nothing but newlines stays bounded too.
  if (sample.length > limits.maxRecordBytes) throw headerTooLarge(sample, start, limits);
  // Refused as soon as the part read is over the cap, without reading the rest of the header.
  if (sample.length - start > limits.maxHeaderBytes) throw headerOverCap(sample.length - start, limits);
  return { done: false };
}

/**
 * The header of the sniffed table: the header record parsed as strictly as the rows will be, or under
 * the lenient policy read forgivingly and fitted to the table's width; `column_<n>` names without one.
 */
function readHeader(raw: Buffer, sniffed: SniffResult, limits: HeaderLimits) {
  if (!sniffed.header) return headerOf(raw, new Array<string>(sniffed.width).fill(''), limits);
  if (!limits.lenient) return parseHeader(raw, sniffed.tableStart, sniffed.syntax, limits);
  const [record] = sampleRecords(raw, sniffed.tableStart, sniffed.syntax, true, 1).records;
  const names = record?.cells ?? [''];
  // A header naming more columns than most rows fill (optional trailing columns) keeps its names.
  const named = names.filter((name) => name.trim() !== '').length;
  return headerOf(raw, fitNames(names, Math.max(sniffed.width, named)), limits);
}

/**
 * Names for a table `width` columns wide: a header with a stray delimiter loses its empty names first
 * (from the right), then joins its last names into one; a short header gets empty names (`column_<n>`).
 */
export function fitNames(names: string[], width: number): string[] {
  const fitted = [...names];
  for (let i = fitted.length - 1; fitted.length > width && i >= 0; i--) {
    if (fitted[i]!.trim() === '') fitted.splice(i, 1);
  }
  if (fitted.length > width) fitted.splice(width - 1, fitted.length, fitted.slice(width - 1).join(' '));
  while (fitted.length < width) fitted.push('');
  return fitted;
}

function headerOverCap(bytes: number, limits: HeaderLimits): IngestError {
  const file = limits.name ?? 'the file';
  return new IngestError(
    'HEADER_TOO_LARGE',
    `the header of ${file} is longer than the maximum of ${limits.maxHeaderBytes} bytes (INGEST_MAX_HEADER_BYTES)`,
    {
      headerBytes: bytes,
      maxHeaderBytes: limits.maxHeaderBytes,
      ...(limits.name !== undefined && { file: limits.name }),
    },
  );
}

function headerTooLarge(sample: Buffer, start: number, limits: HeaderLimits): IngestError {
  const line = lineOf(sample, start);
  return new IngestError(
    'RECORD_TOO_LARGE',
    `the header record on line ${line} is larger than the maximum record size of ${limits.maxRecordBytes} bytes` +
      ' (is a quote left open?)',
    { line, maxRecordBytes: limits.maxRecordBytes },
  );
}

/** Only white space: spaces, tabs and line endings. */
function isBlank(sample: Buffer): boolean {
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i]!;
    if (byte !== SPACE && byte !== TAB && byte !== LF && byte !== CR) return false;
  }
  return true;
}

/** 1-based physical line of byte `offset`. */
function lineOf(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(LF); at !== -1 && at < offset; at = bytes.indexOf(LF, at + 1)) line++;
  return line;
}
