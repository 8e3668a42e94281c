import { type CsvError, parse } from 'csv-parse/sync';
import type { Delimiter } from '../domain/index.js';
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
  delimiter: Delimiter;
  columnCount: number;
  /** Stop at the first bad row (strict) or report it and continue (skip). */
  stopAtFirstError: boolean;
  maxRecordBytes: number;
}

/**
 * The reference parsing interface: RFC 4180 records with `"` quotes and `""` escapes, every record and
 * every rejection reported with its lines. csv-parse implements it (csvParseRecords) and decides the
 * pipeline's row error codes and line numbers. The hot path's fastParseRecords (fast-record-parser.ts)
 * does not implement it: it takes decoded text, reports neither lines nor errors, and gives up on any
 * anomaly, whereupon parseRecords (parse-chunk.ts) re-parses the chunk through this interface.
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

class StopParsing extends Error {}

export const csvParseRecords: RecordParser = (bytes, options, sink) => {
  // Line where the previous record ended; the next record starts on the line after it.
  let previousEnd = 0;
  try {
    parse(bytes, {
      delimiter: options.delimiter,
      quote: '"',
      escape: '"',
      // Explicit, never auto-detected: csv-parse would otherwise pick CRLF or LF from each chunk's first
      // record, and two chunks of a file with mixed endings would split records differently.
      record_delimiter: RECORD_DELIMITERS,
      relax_column_count: true,
      // An empty line is a record of one empty field; in a one-column file that is a value, elsewhere noise.
      skip_empty_lines: options.columnCount > 1,
      max_record_size: options.maxRecordBytes,
      skip_records_with_error: !options.stopAtFirstError,
      on_skip: (err: CsvError | undefined) => {
        if (!err) return;
        const endLine = typeof err.lines === 'number' ? err.lines : previousEnd + 1;
        sink.reject(
          CSV_PARSE_CODES[err.code] ?? 'INVALID_QUOTE',
          describeCsvError(err),
          previousEnd + 1,
          endLine,
        );
        previousEnd = endLine;
      },
      on_record: (fields: string[], context) => {
        const startLine = previousEnd + 1;
        previousEnd = context.lines;
        if (fields.length !== options.columnCount) {
          const reason = `expected ${options.columnCount} fields, found ${fields.length}`;
          sink.reject('FIELD_COUNT_MISMATCH', reason, startLine, context.lines);
          if (options.stopAtFirstError) throw new StopParsing();
          return null;
        }
        sink.record(fields, startLine, context.lines);
        // Returning null keeps csv-parse from accumulating every record of the chunk.
        return null;
      },
    });
  } catch (err) {
    if (err instanceof StopParsing) return;
    const e = err as CsvError;
    if (typeof e.code === 'string' && e.code in CSV_PARSE_CODES) {
      const line = typeof e.lines === 'number' ? e.lines : previousEnd + 1;
      sink.reject(CSV_PARSE_CODES[e.code]!, describeCsvError(e), Math.min(previousEnd + 1, line), line);
      return;
    }
    throw err;
  }
};

/** csv-parse's message without its own line suffix (ingest adds the absolute line). */
function describeCsvError(err: CsvError): string {
  return err.message.replace(/\s+at line \d+.*$/, '').replace(/^[\w ]+: /, (m) => m.toLowerCase());
}
