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

function summarizeColumn(s: StatsSnapshot, index: number, name: string): ColumnSummary {
  const nonNullCount = s.nonNullCount[index];
  const type = columnTypeOf(s.typeMask[index], nonNullCount);
  let min: string | null = null;
  let max: string | null = null;
  let mean: number | null = null;
  if (nonNullCount > 0) {
    if (type === 'integer' || type === 'decimal') {
      min = String(s.numericMin[index]);
      max = String(s.numericMax[index]);
      const average = (s.numericSum[index] + s.numericSumError[index]) / nonNullCount;
      // Values like 1e400 parse to Infinity; an infinite or NaN mean is no use on a dashboard.
      mean = Number.isFinite(average) ? average : null;
    } else if (type === 'boolean') {
      const seen = s.booleanSeen[index];
      min = seen & BOOLEAN_SEEN.FALSE ? 'false' : 'true';
      max = seen & BOOLEAN_SEEN.TRUE ? 'true' : 'false';
    } else {
      min = wellFormed(s.textMin[index]);
      max = wellFormed(s.textMax[index]);
    }
  }
  const minLength = s.minLength[index];
  return {
    index,
    name,
    type,
    nullCount: s.nullCount[index],
    nonNullCount,
    min,
    max,
    mean,
    minLength: minLength === NO_LENGTH ? null : minLength,
    maxLength: nonNullCount > 0 ? s.maxLength[index] : null,
    distinctEstimate: estimateHll(s.distinct[index]),
  };
}

/** A bound cut inside a surrogate pair would end in a lone high surrogate, which is not valid UTF-8 text. */
function wellFormed(bound: string | null): string | null {
  if (bound === null || bound.length < TEXT_BOUND_MAX_LENGTH) return bound;
  const last = bound.charCodeAt(bound.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? bound.slice(0, -1) : bound;
}
