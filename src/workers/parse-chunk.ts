import { isPlainSyntax, type RecordSyntax, recordSyntaxOf } from '../domain/index.js';
import { LIMITS } from '../limits.js';
import { createStatsBuilder, type StatsSnapshot } from '../metrics/index.js';
import { type BadLine, findBadLines } from './byte-checks.js';
import type { ChunkError, ChunkTask, RejectedRow, RowErrorCode } from './chunk-task.js';
import { fastParseRecords } from './fast-record-parser.js';
import { lenientParseRecords } from './lenient-record-parser.js';
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
  /** Rows the lenient policy kept after a repair (each also in `rejected`, marked kept, while room lasts). */
  repairedCount: number;
  /** Lenient policy: the table ended at this chunk line (a second table follows a blank line). */
  tableEnd?: number;
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
  task: ParseTask,
  options: { reference?: boolean } = {},
): ParsedChunk {
  let stats = createStatsBuilder(task.columnCount);
  const sink: AcceptedRecordSink = {
    add: (fields) => stats.add(fields),
    reset: () => {
      stats = createStatsBuilder(task.columnCount);
    },
  };
  return { ...parseRecords(bytes, task, sink, options), stats: stats.snapshot() };
}

/** What parsing a chunk needs to know of its task. */
export type ParseTask = Pick<
  ChunkTask,
  'delimiter' | 'syntax' | 'columnCount' | 'onError' | 'maxRecordBytes'
>;

/**
 * Parses and validates one chunk under the bad-row policy, handing each accepted record to `sink`.
 *
 * Clean chunks (the common case) take the fast parser; a chunk with any anomaly or bad byte is parsed
 * by csv-parse, the reference, which decides error codes and lines. `reference: true` forces csv-parse
 * (the differential test compares both).
 */
export function parseRecords(
  bytes: Buffer,
  task: ParseTask,
  sink: AcceptedRecordSink,
  options: { reference?: boolean } = {},
): Omit<ParsedChunk, 'stats'> {
  const strict = task.onError === 'strict';
  const syntax: RecordSyntax = task.syntax ?? recordSyntaxOf({ delimiter: task.delimiter, quote: '"' });
  const badLines = findBadLines(bytes);
  let rows = 0;
  // The jump parser knows the doubled-quote syntax with any quote character, nothing more.
  const jumpable =
    syntax.escape === syntax.quote &&
    syntax.comment === '' &&
    !syntax.skipInitialSpace &&
    isPlainQuote(syntax);
  const clean =
    !options.reference &&
    jumpable &&
    badLines.length === 0 &&
    fastParseRecords(
      bytes.toString('utf8'),
      syntax.delimiter,
      task.columnCount,
      task.maxRecordBytes,
      (fields) => {
        sink.add(fields);
        rows++;
      },
      syntax.quote,
    );
  if (clean) return { rows, rejectedCount: 0, rejected: [], repairedCount: 0 };

  sink.reset();
  rows = 0;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  const lines = new RawLineReader(bytes);
  let error: ChunkError | undefined;
  // Lines [start, end] of the last rejected row: a parser may report one record more than once (one
  // reason per bad quote), and one record is one rejected row (rejected_rows is keyed by its line).
  let lastStart = 0;
  let lastEnd = 0;
  const reject = (code: RowErrorCode, reason: string, startLine: number, endLine: number): void => {
    if (strict) {
      if (!error || startLine < error.line) error = { code, message: reason, line: startLine };
      return;
    }
    if (lastStart > 0 && startLine >= lastStart && startLine <= lastEnd) {
      lastEnd = Math.max(lastEnd, endLine);
      const last = rejected[rejected.length - 1];
      if (last?.line === lastStart && !last.reason.split('; ').includes(reason)) last.reason += `; ${reason}`;
      return;
    }
    lastStart = startLine;
    lastEnd = Math.max(startLine, endLine);
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
  if (task.onError === 'lenient') {
    return lenientRecords(bytes, syntax, task.columnCount, sink, badLines, lines, reject);
  }
  csvParseRecords(
    bytes,
    {
      syntax,
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
  return error
    ? { rows, rejectedCount, rejected, repairedCount: 0, error }
    : { rows, rejectedCount, rejected, repairedCount: 0 };
}

/** Any single quote character works with the jump parser; the default keeps its `"` fast path. */
function isPlainQuote(syntax: RecordSyntax): boolean {
  return isPlainSyntax(syntax) || syntax.quote.length === 1;
}

/**
 * The lenient policy: every record is kept (padded, joined, its quotes repaired), and each repair is
 * recorded like a rejection but marked kept; lines with bad bytes (NUL, invalid UTF-8) are still rejected.
 */
function lenientRecords(
  bytes: Buffer,
  syntax: RecordSyntax,
  columnCount: number,
  sink: AcceptedRecordSink,
  badLines: BadLine[],
  lines: RawLineReader,
  reject: (code: RowErrorCode, reason: string, startLine: number, endLine: number) => void,
): Omit<ParsedChunk, 'stats'> {
  let rows = 0;
  let repairedCount = 0;
  let tableEnd: number | undefined;
  const rejected: RejectedRow[] = [];
  let rejectedCount = 0;
  let nextBad = 0;
  let lastRepairLine = 0;
  lenientParseRecords(bytes.toString('utf8'), syntax, columnCount, {
    record(fields, startLine, endLine) {
      const at = badLineWithin(badLines, nextBad, startLine, endLine);
      const bad = at < 0 ? undefined : badLines[at];
      if (bad) {
        nextBad = at + 1;
        rejectedCount++;
        if (rejected.length < LIMITS.maxRecordedRejections)
          rejected.push({
            line: startLine,
            code: bad.code,
            reason: bad.reason,
            raw: lines.text(startLine, endLine, LIMITS.rejectedRawChars),
          });
        return;
      }
      sink.add(fields);
      rows++;
    },
    repaired(code, reason, startLine, endLine) {
      const last = rejected[rejected.length - 1];
      if (lastRepairLine === startLine && last?.line === startLine) {
        last.reason += `; ${reason}`;
        return;
      }
      if (lastRepairLine !== startLine) repairedCount++;
      lastRepairLine = startLine;
      if (rejected.length < LIMITS.maxRecordedRejections)
        rejected.push({
          line: startLine,
          code,
          reason,
          raw: lines.text(startLine, endLine, LIMITS.rejectedRawChars),
          kept: true,
        });
    },
    tableEnd(line) {
      tableEnd = line;
    },
  });
  void reject;
  const parsed: Omit<ParsedChunk, 'stats'> = { rows, rejectedCount, rejected, repairedCount };
  if (tableEnd !== undefined) parsed.tableEnd = tableEnd;
  return parsed;
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
