export { ALL_TYPE_BITS, classifyValue, columnTypeOf, TYPE_BITS } from './classify-value.js';
export {
  emptyHll,
  estimateHll,
  HLL_PRECISION,
  HLL_REGISTERS,
  HLL_SPARSE_LIMIT,
  type HllSnapshot,
  hashValue,
  mergeHll,
} from './hyperloglog.js';
export { emptySnapshot, mergeSnapshots } from './merge-stats.js';
export { METRIC_TYPES, type MetricType, metricRows } from './metric-rows.js';
export { createStatsBuilder, type StatsBuilder } from './stats-builder.js';
export type { StatsSnapshot } from './stats-snapshot.js';
export { summarize } from './summarize.js';
export type { ColumnSummary, ColumnType, FileFacts, MetricRow } from './types.js';
