import { IngestError } from '../errors.js';
import { ALL_TYPE_BITS } from './classify-value.js';
import { emptyHll, type HllSnapshot, mergeHll } from './hyperloglog.js';
import { NO_LENGTH, type StatsSnapshot } from './stats-snapshot.js';

/** The snapshot of no records: merging it with any snapshot gives that snapshot's statistics. */
export function emptySnapshot(columnCount: number): StatsSnapshot {
  return {
    columnCount,
    rowCount: 0,
    typeMask: new Uint8Array(columnCount).fill(ALL_TYPE_BITS),
    nullCount: new Float64Array(columnCount),
    nonNullCount: new Float64Array(columnCount),
    numericMin: new Float64Array(columnCount).fill(Number.POSITIVE_INFINITY),
    numericMax: new Float64Array(columnCount).fill(Number.NEGATIVE_INFINITY),
    numericSum: new Float64Array(columnCount),
    numericSumError: new Float64Array(columnCount),
    booleanSeen: new Uint8Array(columnCount),
    textMin: new Array<string | null>(columnCount).fill(null),
    textMax: new Array<string | null>(columnCount).fill(null),
    minLength: new Uint32Array(columnCount).fill(NO_LENGTH),
    maxLength: new Uint32Array(columnCount),
    distinct: Array.from({ length: columnCount }, emptyHll),
  };
}

/**
 * The statistics of the records of `a` and `b` together. Associative and commutative (up to floating-point
 * rounding of the sum), so chunks may be merged in completion order. Pure: neither input is modified.
 */
export function mergeSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  if (a.columnCount !== b.columnCount) {
    throw new IngestError(
      'INTERNAL',
      `cannot merge column statistics of ${a.columnCount} and ${b.columnCount} columns`,
    );
  }
  const n = a.columnCount;
  const out = emptySnapshot(n);
  out.rowCount = a.rowCount + b.rowCount;
  for (let c = 0; c < n; c++) mergeColumn(out, a, b, c, mergeHll);
  return out;
}

/**
 * Writes column `c` of the merge of `a` and `b` into `out`, which may be `a` itself (an accumulator
 * merging in place: every value of `a` is read before it is overwritten).
 */
export function mergeColumn(
  out: StatsSnapshot,
  a: StatsSnapshot,
  b: StatsSnapshot,
  c: number,
  mergeSketch: (x: HllSnapshot, y: HllSnapshot) => HllSnapshot,
): void {
  // Every `!` (and cast) here reads in bounds: c < columnCount, and each per-column array of a snapshot
  // has columnCount entries.
  out.typeMask[c] = a.typeMask[c]! & b.typeMask[c]!;
  out.nullCount[c] = a.nullCount[c]! + b.nullCount[c]!;
  out.nonNullCount[c] = a.nonNullCount[c]! + b.nonNullCount[c]!;
  out.numericMin[c] = Math.min(a.numericMin[c]!, b.numericMin[c]!);
  out.numericMax[c] = Math.max(a.numericMax[c]!, b.numericMax[c]!);
  // Two-sum keeps the rounding error of adding the partial sums, as the builder does per value.
  const sa = a.numericSum[c]!;
  const sb = b.numericSum[c]!;
  const sum = sa + sb;
  const error = Math.abs(sa) >= Math.abs(sb) ? sa - sum + sb : sb - sum + sa;
  out.numericSum[c] = sum;
  out.numericSumError[c] = a.numericSumError[c]! + b.numericSumError[c]! + error;
  out.booleanSeen[c] = a.booleanSeen[c]! | b.booleanSeen[c]!;
  // Text bounds may be null (no value yet), which `!` would hide from the compiler; a cast keeps it.
  out.textMin[c] = minText(a.textMin[c] as string | null, b.textMin[c] as string | null);
  out.textMax[c] = maxText(a.textMax[c] as string | null, b.textMax[c] as string | null);
  out.minLength[c] = Math.min(a.minLength[c]!, b.minLength[c]!);
  out.maxLength[c] = Math.max(a.maxLength[c]!, b.maxLength[c]!);
  out.distinct[c] = mergeSketch(a.distinct[c]!, b.distinct[c]!);
}

function minText(x: string | null, y: string | null): string | null {
  if (x === null) return y;
  if (y === null) return x;
  return y < x ? y : x;
}

function maxText(x: string | null, y: string | null): string | null {
  if (x === null) return y;
  if (y === null) return x;
  return y > x ? y : x;
}
