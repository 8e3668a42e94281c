import { LIMITS } from '../limits.js';
import { createStatsBuilder, type StatsSnapshot } from '../metrics/index.js';
import { type BadLine, findBadLines } from './byte-checks.js';
import type { ChunkError, ChunkTask, RejectedRow, RowErrorCode } from './chunk-task.js';
import { fastParseRecords } from './fast-record-parser.js';
import { rawLines } from './raw-lines.js';
import { csvParseRecords } from './record-parser.js';

export interface ParsedChunk {
  rows: number;
  stats: StatsSnapshot;
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
  const { rows, rejected, error } = parseRecords(bytes, task, sink, options);
  const parsed: ParsedChunk = { rows, stats: stats.snapshot(), rejected };
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
  if (clean) return { rows, rejected: [] };

  sink.reset();
  rows = 0;
  const rejected: RejectedRow[] = [];
  let error: ChunkError | undefined;
  const reject = (code: RowErrorCode, reason: string, startLine: number, endLine: number): void => {
    if (strict) {
      if (!error || startLine < error.line) error = { code, message: reason, line: startLine };
      return;
    }
    rejected.push({
      line: startLine,
      code,
      reason,
      raw: rawLines(bytes, startLine, endLine, LIMITS.rejectedRawChars),
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
        const bad = badLineWithin(badLines, nextBad, startLine, endLine);
        if (bad) {
          nextBad = badLines.indexOf(bad) + 1;
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
  return error ? { rows, rejected, error } : { rows, rejected };
}

function badLineWithin(
  badLines: BadLine[],
  from: number,
  startLine: number,
  endLine: number,
): BadLine | undefined {
  for (let i = from; i < badLines.length; i++) {
    const bad = badLines[i]!;
    if (bad.line > endLine) return undefined;
    if (bad.line >= startLine) return bad;
  }
  return undefined;
}
