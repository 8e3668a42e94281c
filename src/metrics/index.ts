export { ALL_TYPE_BITS, classifyValue, columnTypeOf, TYPE_BITS } from './classify-value.js';
export { emptySnapshot, mergeSnapshots } from './merge-stats.js';
export { METRIC_TYPES, metricRows } from './metric-rows.js';
export { StatsAccumulator } from './stats-accumulator.js';
export { createStatsBuilder } from './stats-builder.js';
export type { StatsSnapshot } from './stats-snapshot.js';
export { summarize, summarizeInSteps } from './summarize.js';
export type { ColumnSummary } from './types.js';
