import { LIMITS } from '../limits.js';
import { createStatsBuilder, type StatsSnapshot } from '../metrics/index.js';
import { type BadLine, findBadLines } from './byte-checks.js';
import type { ChunkError, ChunkTask, RejectedRow, RowErrorCode } from './chunk-task.js';
import { fastParseRecords } from './fast-record-parser.js';
import { RawLineReader } from './raw-lines.js';
import { csvParseRecords } from './record-parser.js';

export interface ParsedChunk {
  rows: number;
  stats: StatsSnapshot;
  /** Rows rejected under the skip policy. */
  rejectedCount: number;
  /**
   * The first LIMITS.maxRecordedRejections of them: no more can be recorded per file, so a chunk of
   * bad rows does not make the worker render, and the main thread receive, more than that.
   */
  rejected: RejectedRow[];
  error?: ChunkError;
}

/**
 * Receives the accepted records' fields, in order, from parseRecords. `reset` drops what was added: the
 * fast parser may give up part-way, and the reference parser then starts the chunk over.
 */
export interface AcceptedRecordSink {
  add(fields: string[]): void;
  reset(): void;
}

/**
 * Parses and validates one chunk under the bad-row policy (the one failure policy of the pipeline),
 * feeding accepted records into column statistics (what the worker sends back for each chunk).
 */
export function parseChunk(
  bytes: Buffer,
  task: Pick<ChunkTask, 'delimiter' | 'columnCount' | 'onError' | 'maxRecordBytes'>,
  options: { reference?: boolean } = {},
): ParsedChunk {
  let stats = createStatsBuilder(task.columnCount);
  const sink: AcceptedRecordSink = {
    add: (fields) => stats.add(fields),
    reset: () => {
      stats = createStatsBuilder(task.columnCount);
    },
  };
  const { rows, rejectedCount, rejected, error } = parseRecords(bytes, task, sink, options);
  const parsed: ParsedChunk = { rows, stats: stats.snapshot(), rejectedCount, rejected };
  if (error) parsed.error = error;
  return parsed;
}

/**
 * Parses and validates one chunk under the bad-row policy, handing each accepted record to `sink`.
 *
 * Clean chunks (the common case) take the fast parser; a chunk with any anomaly or bad byte is parsed
 * by csv-parse, the reference, which decides error codes and lines. `reference: true` forces csv-parse
 * (the differential test compares both).
 */
export function parseRecords(
  bytes: Buffer,
  task: Pick<ChunkTask, 'delimiter' | 'columnCount' | 'onError' | 'maxRecordBytes'>,
  sink: AcceptedRecordSink,
  options: { reference?: boolean } = {},
): Omit<ParsedChunk, 'stats'> {
  const strict = task.onError === 'strict';
  const badLines = findBadLines(bytes);
  let rows = 0;
  const clean =
    !options.reference &&
    badLines.length === 0 &&
    fastParseRecords(
      bytes.toString('utf8'),
      task.delimiter,
      task.columnCount,
      task.maxRecordBytes,
      (fields) => {
        sink.add(fields);
        rows++;
      },
    );
  if (clean) return { rows, rejectedCount: 0, rejected: [] };

  sink.reset();
  rows = 0;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  const lines = new RawLineReader(bytes);
  let error: ChunkError | undefined;
  const reject = (code: RowErrorCode, reason: string, startLine: number, endLine: number): void => {
    if (strict) {
      if (!error || startLine < error.line) error = { code, message: reason, line: startLine };
      return;
    }
    rejectedCount++;
    if (rejected.length >= LIMITS.maxRecordedRejections) return;
    rejected.push({
      line: startLine,
      code,
      reason,
      raw: lines.text(startLine, endLine, LIMITS.rejectedRawChars),
    });
  };
  let nextBad = 0;
  csvParseRecords(
    bytes,
    {
      delimiter: task.delimiter,
      columnCount: task.columnCount,
      stopAtFirstError: strict,
      maxRecordBytes: task.maxRecordBytes,
    },
    {
      record(fields, startLine, endLine) {
        const at = badLineWithin(badLines, nextBad, startLine, endLine);
        const bad = at < 0 ? undefined : badLines[at];
        if (bad) {
          nextBad = at + 1;
          reject(bad.code, bad.reason, startLine, endLine);
          return;
        }
        sink.add(fields);
        rows++;
      },
      reject,
    },
  );
  // In strict mode the parser stops at its first error; a bad byte on an earlier line wins.
  if (strict && badLines.length > 0) {
    const first = badLines[0]!;
    if (!error || first.line < error.line)
      error = { code: first.code, message: first.reason, line: first.line };
  }
  return error ? { rows, rejectedCount, rejected, error } : { rows, rejectedCount, rejected };
}

/** Index of the first bad line within [startLine, endLine] at or after `from`, or -1. */
function badLineWithin(badLines: BadLine[], from: number, startLine: number, endLine: number): number {
  for (let i = from; i < badLines.length; i++) {
    const bad = badLines[i]!;
    if (bad.line > endLine) return -1;
    if (bad.line >= startLine) return i;
  }
  return -1;
}
