import type { HllSnapshot } from './hyperloglog.js';

/**
 * Column statistics of some set of records, laid out column-major in typed arrays (index = column) so a
 * worker can return it by structured clone and the main thread can merge it without re-reading values.
 * Snapshots are immutable once made: merging never modifies its inputs.
 */
export interface StatsSnapshot {
  columnCount: number;
  /** Records seen. */
  rowCount: number;
  /** AND of the TYPE_BITS masks of every non-empty value (ALL_TYPE_BITS when there is none). */
  typeMask: Uint8Array;
  /** Empty values (ingest's null). Float64 so counts stay exact beyond 2^32. */
  nullCount: Float64Array;
  nonNullCount: Float64Array;
  /**
   * Smallest, largest and sum of the values that parsed as numbers (+Infinity, -Infinity and 0 when none).
   * Kept even after a chunk's mask stops being numeric, because only the merged mask says whether they count.
   */
  numericMin: Float64Array;
  numericMax: Float64Array;
  numericSum: Float64Array;
  /** Neumaier compensation: the rounding error numericSum has lost so far. */
  numericSumError: Float64Array;
  /** BOOLEAN_SEEN bits: whether a false-like and a true-like value occurred. */
  booleanSeen: Uint8Array;
  /** Smallest and largest value in UTF-16 code unit order, cut to TEXT_BOUND_MAX_LENGTH code units. */
  textMin: (string | null)[];
  textMax: (string | null)[];
  /** Shortest and longest non-empty value in UTF-16 code units (NO_LENGTH and 0 when none). */
  minLength: Uint32Array;
  maxLength: Uint32Array;
  /** Distinct non-empty values. */
  distinct: HllSnapshot[];
}

export const BOOLEAN_SEEN = { FALSE: 1, TRUE: 2 } as const;

/** Longest stored text min/max: enough to tell values apart on a dashboard, small in every snapshot. */
export const TEXT_BOUND_MAX_LENGTH = 256;

/** minLength of a column without values. */
export const NO_LENGTH = 0xffffffff;
