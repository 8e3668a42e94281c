export { recordHttpError } from './http-metrics.js';
export { type MeasuredIngest, measureIngest } from './ingest-metrics.js';
export { type PoolCounts, registerPoolMetrics } from './pool-metrics.js';
export { type QueueBacklog, type QueueBacklogSource, registerQueueBacklog } from './queue-metrics.js';
export { recordReadCacheLookup } from './read-cache-metrics.js';
export { enableProcessMetrics, exposition, registry } from './registry.js';
