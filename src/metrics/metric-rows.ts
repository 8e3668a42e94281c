import type { MetricRow } from '../domain/index.js';
import type { ColumnSummary, FileFacts } from './types.js';

/** Every metric_type ingest writes to analytics.metrics; dashboards and queries refer to these names. */
export const METRIC_TYPES = {
  // File level (column_name null).
  ROW_COUNT: 'row_count',
  COLUMN_COUNT: 'column_count',
  BYTE_COUNT: 'byte_count',
  STORED_BYTES: 'stored_bytes',
  /** stored_bytes / byte_count: below 1 means compression saved space. */
  COMPRESSION_RATIO: 'compression_ratio',
  CHUNK_COUNT: 'chunk_count',
  REJECTED_ROW_COUNT: 'rejected_row_count',
  DURATION_MS: 'duration_ms',
  // Column level.
  /** text_value is the ColumnType. */
  INFERRED_TYPE: 'inferred_type',
  NULL_COUNT: 'null_count',
  NON_NULL_COUNT: 'non_null_count',
  /** text_value in the column's type; numeric_value too for integer and decimal columns. */
  MIN: 'min',
  MAX: 'max',
  MEAN: 'mean',
  MIN_LENGTH: 'min_length',
  MAX_LENGTH: 'max_length',
  DISTINCT_ESTIMATE: 'distinct_estimate',
} as const;

export type MetricType = (typeof METRIC_TYPES)[keyof typeof METRIC_TYPES];

/** The analytics.metrics rows of one file: file-level first, then each column's; null-valued metrics omitted. */
export function metricRows(facts: FileFacts, columns: ColumnSummary[]): MetricRow[] {
  const rows: MetricRow[] = [];
  const file = (metricType: MetricType, value: number | null): void => {
    if (value !== null)
      rows.push({ columnName: null, columnIndex: null, metricType, numericValue: value, textValue: null });
  };
  file(METRIC_TYPES.ROW_COUNT, facts.rows);
  file(METRIC_TYPES.COLUMN_COUNT, facts.columns);
  file(METRIC_TYPES.BYTE_COUNT, facts.bytes);
  file(METRIC_TYPES.STORED_BYTES, facts.storedBytes);
  file(METRIC_TYPES.COMPRESSION_RATIO, facts.bytes > 0 ? facts.storedBytes / facts.bytes : null);
  file(METRIC_TYPES.CHUNK_COUNT, facts.chunks);
  file(METRIC_TYPES.REJECTED_ROW_COUNT, facts.rejectedRows);
  file(METRIC_TYPES.DURATION_MS, facts.durationMs);

  for (const column of columns) {
    const push = (metricType: MetricType, numericValue: number | null, textValue: string | null): void => {
      if (numericValue === null && textValue === null) return;
      rows.push({ columnName: column.name, columnIndex: column.index, metricType, numericValue, textValue });
    };
    const numeric = column.type === 'integer' || column.type === 'decimal';
    push(METRIC_TYPES.INFERRED_TYPE, null, column.type);
    push(METRIC_TYPES.NULL_COUNT, column.nullCount, null);
    push(METRIC_TYPES.NON_NULL_COUNT, column.nonNullCount, null);
    push(METRIC_TYPES.MIN, numeric ? finiteNumber(column.min) : null, column.min);
    push(METRIC_TYPES.MAX, numeric ? finiteNumber(column.max) : null, column.max);
    push(METRIC_TYPES.MEAN, column.mean, null);
    push(METRIC_TYPES.MIN_LENGTH, column.minLength, null);
    push(METRIC_TYPES.MAX_LENGTH, column.maxLength, null);
    push(METRIC_TYPES.DISTINCT_ESTIMATE, column.distinctEstimate, null);
  }
  return rows;
}

/** An overflowing value (1e400) renders as "Infinity": keep that text, but JSON and dashboards want no number. */
function finiteNumber(text: string | null): number | null {
  if (text === null) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
