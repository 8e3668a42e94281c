import { IngestError } from '../errors.js';
import { classifyValue, isTrueWord, NUMERIC_BITS, TYPE_BITS } from './classify-value.js';
import { HllAccumulator, hashValue } from './hyperloglog.js';
import { emptySnapshot } from './merge-stats.js';
import { BOOLEAN_SEEN, type StatsSnapshot, TEXT_BOUND_MAX_LENGTH } from './stats-snapshot.js';

/** Accumulates column statistics record by record; one per chunk, in the worker that parses it. */
export interface StatsBuilder {
  /** Adds one record; it must have exactly the builder's column count of fields. */
  add(record: string[]): void;
  /** The statistics of every record added so far; the builder stays usable. */
  snapshot(): StatsSnapshot;
}

/**
 * A builder for records of `columnCount` fields. `add` is the ingest hot path (every value of every row):
 * it keeps its state in typed arrays indexed by column, allocates nothing per value except a cut copy of
 * an over-long new text min/max, and parses a number only while the column can still be numeric.
 */
export function createStatsBuilder(columnCount: number): StatsBuilder {
  if (!Number.isInteger(columnCount) || columnCount < 0) {
    throw new IngestError('INTERNAL', `columnCount must be a non-negative integer, got ${columnCount}`);
  }
  let rowCount = 0;
  // The statistics of no records, held in locals: add() reads and writes them for every value.
  const {
    typeMask,
    nullCount,
    nonNullCount,
    numericMin,
    numericMax,
    numericSum,
    numericSumError,
    booleanSeen,
    minLength,
    maxLength,
    textMin,
    textMax,
  } = emptySnapshot(columnCount);
  // First code units of textMin/textMax; past the range of code units (0..0xffff) while a bound is unset,
  // so the first value always replaces it.
  const textMinFirst = new Int32Array(columnCount).fill(0x10000);
  const textMaxFirst = new Int32Array(columnCount).fill(-1);
  const distinct = Array.from({ length: columnCount }, () => new HllAccumulator());

  function add(record: string[]): void {
    rowCount++;
    // Every `!` in this loop reads in bounds: c < columnCount, which is the length of each per-column array
    // here and (add's contract) of `record`. A check per value would cost the hot path a branch.
    for (let c = 0; c < columnCount; c++) {
      const value = record[c]!;
      const length = value.length;
      if (length === 0) {
        nullCount[c]!++;
        continue;
      }
      nonNullCount[c]!++;

      // Bits a column has lost never come back, so once it cannot be numeric (or boolean) it skips that work,
      // and a text column (mask 0) skips classification altogether.
      let mask = typeMask[c]!;
      if (mask !== 0) {
        mask &= classifyValue(value);
        typeMask[c] = mask;
      }
      if (mask & NUMERIC_BITS) {
        // `+ 0` turns -0 into 0, so min/max do not depend on which zero came first.
        const x = Number(value) + 0;
        if (x < numericMin[c]!) numericMin[c] = x;
        if (x > numericMax[c]!) numericMax[c] = x;
        const sum = numericSum[c]!;
        const next = sum + x;
        numericSumError[c]! += Math.abs(sum) >= Math.abs(x) ? sum - next + x : x - next + sum;
        numericSum[c] = next;
      } else if (mask & TYPE_BITS.BOOLEAN) {
        booleanSeen[c]! |= isTrueWord(value) ? BOOLEAN_SEEN.TRUE : BOOLEAN_SEEN.FALSE;
      }

      // Most values differ from the current bounds in their first code unit, which decides the comparison
      // without a full string compare.
      const first = value.charCodeAt(0);
      const lowFirst = textMinFirst[c]!;
      if (first < lowFirst || (first === lowFirst && value < (textMin[c] as string))) {
        textMin[c] = bound(value);
        textMinFirst[c] = first;
      }
      const highFirst = textMaxFirst[c]!;
      if (first > highFirst || (first === highFirst && value > (textMax[c] as string))) {
        textMax[c] = bound(value);
        textMaxFirst[c] = first;
      }
      if (length < minLength[c]!) minLength[c] = length;
      if (length > maxLength[c]!) maxLength[c] = length;

      distinct[c]!.add(hashValue(value));
    }
  }

  function snapshot(): StatsSnapshot {
    return {
      columnCount,
      rowCount,
      typeMask: typeMask.slice(),
      nullCount: nullCount.slice(),
      nonNullCount: nonNullCount.slice(),
      numericMin: numericMin.slice(),
      numericMax: numericMax.slice(),
      numericSum: numericSum.slice(),
      numericSumError: numericSumError.slice(),
      booleanSeen: booleanSeen.slice(),
      textMin: textMin.slice(),
      textMax: textMax.slice(),
      minLength: minLength.slice(),
      maxLength: maxLength.slice(),
      distinct: distinct.map((sketch) => sketch.snapshot()),
    };
  }

  return { add, snapshot };
}

/**
 * Cuts a text bound to TEXT_BOUND_MAX_LENGTH code units. Cutting is monotone in code unit order, so the
 * cut min of a set equals the min of the cut values and merging cut bounds stays exact and associative.
 */
function bound(value: string): string {
  return value.length > TEXT_BOUND_MAX_LENGTH ? value.slice(0, TEXT_BOUND_MAX_LENGTH) : value;
}
