import { setImmediate as nextTurn } from 'node:timers/promises';
import { IngestError } from '../errors.js';
import { columnTypeOf } from './classify-value.js';
import { estimateHll } from './hyperloglog.js';
import { BOOLEAN_SEEN, NO_LENGTH, type StatsSnapshot, TEXT_BOUND_MAX_LENGTH } from './stats-snapshot.js';
import type { ColumnSummary } from './types.js';

/** Per-column summaries of a (merged) snapshot: the final type, and min/max/mean rendered in that type. */
export function summarize(snapshot: StatsSnapshot, columnNames: string[]): ColumnSummary[] {
  if (columnNames.length !== snapshot.columnCount) {
    throw new IngestError(
      'INTERNAL',
      `${columnNames.length} column names for statistics of ${snapshot.columnCount} columns`,
    );
  }
  return columnNames.map((name, index) => summarizeColumn(snapshot, index, name));
}

/**
 * summarize() for the main thread: `columnsPerStep` columns at a time, yielding to the event loop between
 * steps. A column's summary reads its 4 KiB dense sketch once, so a step of 250 costs a few milliseconds,
 * where 2,000 columns at once held the loop for tens of milliseconds.
 */
export async function summarizeInSteps(
  snapshot: StatsSnapshot,
  columnNames: string[],
  columnsPerStep = 250,
): Promise<ColumnSummary[]> {
  if (columnNames.length !== snapshot.columnCount) return summarize(snapshot, columnNames);
  const summaries: ColumnSummary[] = [];
  for (let from = 0; from < columnNames.length; from += columnsPerStep) {
    if (from > 0) await nextTurn();
    const to = Math.min(columnNames.length, from + columnsPerStep);
    for (let index = from; index < to; index++)
      summaries.push(summarizeColumn(snapshot, index, columnNames[index]!));
  }
  return summaries;
}

function summarizeColumn(s: StatsSnapshot, index: number, name: string): ColumnSummary {
  const nonNullCount = columnValue(s.nonNullCount, index);
  const type = columnTypeOf(columnValue(s.typeMask, index), nonNullCount);
  let min: string | null = null;
  let max: string | null = null;
  let mean: number | null = null;
  if (nonNullCount > 0) {
    if (type === 'integer' || type === 'decimal') {
      min = String(columnValue(s.numericMin, index));
      max = String(columnValue(s.numericMax, index));
      const average =
        (columnValue(s.numericSum, index) + columnValue(s.numericSumError, index)) / nonNullCount;
      // Values like 1e400 parse to Infinity; an infinite or NaN mean is no use on a dashboard.
      mean = Number.isFinite(average) ? average : null;
    } else if (type === 'boolean') {
      const seen = columnValue(s.booleanSeen, index);
      min = seen & BOOLEAN_SEEN.FALSE ? 'false' : 'true';
      max = seen & BOOLEAN_SEEN.TRUE ? 'true' : 'false';
    } else {
      min = wellFormed(columnValue(s.textMin, index));
      max = wellFormed(columnValue(s.textMax, index));
    }
  }
  const minLength = columnValue(s.minLength, index);
  return {
    index,
    name,
    type,
    nullCount: columnValue(s.nullCount, index),
    nonNullCount,
    min,
    max,
    mean,
    minLength: minLength === NO_LENGTH ? null : minLength,
    maxLength: nonNullCount > 0 ? columnValue(s.maxLength, index) : null,
    distinctEstimate: estimateHll(columnValue(s.distinct, index)),
  };
}

/**
 * One column's entry of a per-column array. Each holds columnCount entries, so a missing one is a
 * malformed snapshot; summarizing runs once per column of a file, where the check costs nothing.
 */
function columnValue<T>(values: ArrayLike<T>, index: number): T {
  const value = values[index];
  if (value === undefined) throw new IngestError('INTERNAL', `column statistics have no column ${index}`);
  return value;
}

/** A bound cut inside a surrogate pair would end in a lone high surrogate, which is not valid UTF-8 text. */
function wellFormed(bound: string | null): string | null {
  if (bound === null || bound.length < TEXT_BOUND_MAX_LENGTH) return bound;
  const last = bound.charCodeAt(bound.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? bound.slice(0, -1) : bound;
}
