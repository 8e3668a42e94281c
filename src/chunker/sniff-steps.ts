import { IngestError } from '../errors.js';
import { CR, LF, SPACE, TAB } from './constants.js';
import { detectTextFormat, type TextFormat } from './detect-input.js';
import { type ColumnLimit, parseHeader, tooManyColumns } from './header.js';
import { skipBlankLines } from './record-scanner.js';
import { type SniffResult, sniffDialect } from './sniff-dialect.js';
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
  const start = skipBlankLines(sample);
  if (start < sample.length) {
    const sniffed = sniffDialect(sample, start, atEnd);
    if (sniffed.headerUnclosed) {
      const line = lineOf(sample, start);
      throw new IngestError('UNCLOSED_QUOTE', `the header on line ${line} has a quote that is never closed`, {
        line,
      });
    }
    if (sniffed.headerEnd >= 0) {
      if (sniffed.headerEnd - start > limits.maxRecordBytes) throw headerTooLarge(sample, start, limits);
      if (sniffed.headerEnd - start > limits.maxHeaderBytes)
        throw headerOverCap(sniffed.headerEnd - start, limits);
      if (sniffed.headerFields > limits.maxColumns) throw tooManyColumns(sniffed.headerFields, limits);
      const header = parseHeader(
        Buffer.from(sample.subarray(0, sniffed.headerEnd)),
        start,
        sniffed.delimiter,
        limits,
      );
      return { done: true, sniffed, header };
    }
  }
  // Blank lines before the header count towards its size, so a file of nothing but newlines stays bounded too.
  if (sample.length > limits.maxRecordBytes) throw headerTooLarge(sample, start, limits);
  // Refused as soon as the part read is over the cap, without reading the rest of the header.
  if (sample.length - start > limits.maxHeaderBytes) throw headerOverCap(sample.length - start, limits);
  return { done: false };
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
