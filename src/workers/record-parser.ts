import { type CsvError, parse } from 'csv-parse/sync';
import { recordEnd } from '../chunker/index.js';
import type { RecordSyntax } from '../domain/index.js';
import type { RowErrorCode } from './chunk-task.js';

/**
 * Receives each record or rejection the parser finds, in input order, with the lines it spans (1-based
 * within the parsed bytes).
 */
export interface RecordOrRejectionSink {
  record(fields: string[], startLine: number, endLine: number): void;
  reject(code: RowErrorCode, reason: string, startLine: number, endLine: number): void;
}

export interface ParseOptions {
  syntax: RecordSyntax;
  columnCount: number;
  /** Stop at the first bad row (strict) or report it and continue (skip). */
  stopAtFirstError: boolean;
  maxRecordBytes: number;
}

/**
 * The reference parsing interface: records under the file's syntax (RFC 4180 by default: `"` quotes and
 * `""` escapes), every record and every rejection reported with its lines. csv-parse implements it
 * (csvParseRecords) and decides the pipeline's row error codes and line numbers. The hot path's
 * fastParseRecords (fast-record-parser.ts) does not implement it: it takes decoded text, reports neither
 * lines nor errors, and gives up on any anomaly, whereupon parseRecords (parse-chunk.ts) re-parses the
 * chunk through this interface.
 */
export type RecordParser = (bytes: Buffer, options: ParseOptions, sink: RecordOrRejectionSink) => void;

/** csv-parse error codes -> ingest's stable row error codes. */
const CSV_PARSE_CODES: Record<string, RowErrorCode> = {
  CSV_QUOTE_NOT_CLOSED: 'UNCLOSED_QUOTE',
  CSV_INVALID_CLOSING_QUOTE: 'INVALID_QUOTE',
  INVALID_OPENING_QUOTE: 'INVALID_QUOTE',
  CSV_INVALID_OPENING_QUOTE: 'INVALID_QUOTE',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'INVALID_QUOTE',
  CSV_MAX_RECORD_SIZE: 'RECORD_TOO_LARGE',
};

/** Records end at LF or CRLF; a lone CR is data. The chunker splits at LF only, so the two agree. */
export const RECORD_DELIMITERS = ['\r\n', '\n'];

const LF = 0x0a;
const CR = 0x0d;

class StopParsing extends Error {}

/** Thrown from on_skip in skip mode: the record starting on `line` is bad; parse again after it. */
class Resync extends Error {
  constructor(readonly line: number) {
    super('resync');
  }
}

/**
 * csv-parse over the chunk. In skip mode a bad record is rejected as a whole and parsing picks up again
 * at the end of that record as the chunker's quote rule (record-machine.ts) sees it: csv-parse's own
 * recovery keeps the quote state of the bad record and would read the good records after it as part of
 * it, losing them (and reporting one record several times).
 */
export const csvParseRecords: RecordParser = (bytes, options, sink) => {
  let offset = 0;
  let lineBase = 0;
  while (offset < bytes.length) {
    const segment = bytes.subarray(offset);
    const bad = parseSegment(segment, lineBase, options, sink);
    if (bad === undefined) return;
    // Where the bad record starts (csv-parse counts from the line after the previous record: blank lines
    // between them are not the record) and where the quote rule ends it.
    let { at, line } = lineStart(segment, bad);
    while (isBlankLine(segment, at)) {
      at = segment.indexOf(LF, at) + 1;
      line++;
    }
    const end = recordEnd(segment, at, options.syntax);
    const lines = countLines(segment, at, end);
    const endLine = lineBase + line + Math.max(0, lines - 1);
    for (const reason of reasonsOf(segment.subarray(at, end), options)) {
      sink.reject(reason.code, reason.reason, lineBase + line, endLine);
    }
    lineBase += line - 1 + lines;
    offset += end;
  }
};

/**
 * Parses `bytes` until the end, or (skip mode) until the first bad record, whose segment-relative start
 * line it returns; records and strict-mode rejections go to `sink` with lines offset by `lineBase`.
 */
function parseSegment(
  bytes: Buffer,
  lineBase: number,
  options: ParseOptions,
  sink: RecordOrRejectionSink,
): number | undefined {
  // Line where the previous record ended; the next record starts on the line after it.
  let previousEnd = 0;
  try {
    parse(bytes, {
      ...csvParseSyntax(options),
      skip_records_with_error: !options.stopAtFirstError,
      on_skip: (err: CsvError | undefined) => {
        if (!err) return;
        throw new Resync(previousEnd + 1);
      },
      on_record: (fields: string[], context) => {
        const startLine = previousEnd + 1;
        previousEnd = context.lines;
        if (fields.length !== options.columnCount) {
          const reason = `expected ${options.columnCount} fields, found ${fields.length}`;
          sink.reject('FIELD_COUNT_MISMATCH', reason, lineBase + startLine, lineBase + context.lines);
          if (options.stopAtFirstError) throw new StopParsing();
          return null;
        }
        sink.record(fields, lineBase + startLine, lineBase + context.lines);
        // Returning null keeps csv-parse from accumulating every record of the chunk.
        return null;
      },
    });
  } catch (err) {
    if (err instanceof StopParsing) return undefined;
    if (err instanceof Resync) return err.line;
    const e = err as CsvError;
    if (typeof e.code === 'string' && e.code in CSV_PARSE_CODES) {
      const line = typeof e.lines === 'number' ? e.lines : previousEnd + 1;
      sink.reject(
        CSV_PARSE_CODES[e.code]!,
        describeCsvError(e),
        lineBase + Math.min(previousEnd + 1, line),
        lineBase + line,
      );
      return undefined;
    }
    throw err;
  }
  return undefined;
}

/** Every reason csv-parse gives for one bad record, parsed alone: one rejected row, all its reasons. */
function reasonsOf(record: Buffer, options: ParseOptions): { code: RowErrorCode; reason: string }[] {
  const reasons: { code: RowErrorCode; reason: string }[] = [];
  const add = (err: CsvError): void => {
    const reason = describeCsvError(err);
    if (!reasons.some((r) => r.reason === reason))
      reasons.push({ code: CSV_PARSE_CODES[err.code] ?? 'INVALID_QUOTE', reason });
  };
  try {
    parse(record, {
      ...csvParseSyntax(options),
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        if (err) add(err);
      },
      on_record: () => null,
    });
  } catch (err) {
    const e = err as CsvError;
    if (typeof e.code !== 'string' || !(e.code in CSV_PARSE_CODES)) throw err;
    add(e);
  }
  if (reasons.length === 0) reasons.push({ code: 'INVALID_QUOTE', reason: 'invalid quoting' });
  return reasons;
}

/** The csv-parse options of a record syntax, shared by every call so that all agree. */
function csvParseSyntax(options: ParseOptions) {
  const { syntax } = options;
  return {
    delimiter: syntax.delimiter,
    quote: syntax.quote,
    escape: syntax.escape,
    ...(syntax.comment !== '' && { comment: syntax.comment, comment_no_infix: true }),
    ...(syntax.skipInitialSpace && { ltrim: true }),
    // Explicit, never auto-detected: csv-parse would otherwise pick CRLF or LF from each chunk's first
    // record, and two chunks of a file with mixed endings would split records differently.
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    // An empty line is a record of one empty field; in a one-column file that is a value, elsewhere noise.
    skip_empty_lines: options.columnCount > 1,
    max_record_size: options.maxRecordBytes,
  };
}

/** Offset of 1-based `line` in `bytes` (its end when it has fewer lines). */
function lineStart(bytes: Buffer, line: number): { at: number; line: number } {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const lf = bytes.indexOf(LF, at);
    if (lf < 0) return { at: bytes.length, line: l };
    at = lf + 1;
  }
  return { at, line };
}

function isBlankLine(bytes: Buffer, at: number): boolean {
  const lf = bytes.indexOf(LF, at);
  if (lf < 0) return false;
  for (let i = at; i < lf; i++) if (bytes[i] !== CR) return false;
  return true;
}

function countLines(bytes: Buffer, start: number, end: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(LF, start); at !== -1 && at < end; at = bytes.indexOf(LF, at + 1)) lines++;
  return end > start && bytes[end - 1] !== LF ? lines + 1 : lines;
}

/** csv-parse's message without its own line suffix (ingest adds the absolute line). */
function describeCsvError(err: CsvError): string {
  return err.message.replace(/\s+at line \d+.*$/, '').replace(/^[\w ]+: /, (m) => m.toLowerCase());
}
