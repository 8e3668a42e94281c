import { Gauge } from 'prom-client';
import { registry } from './registry.js';

/** One queue's backlog, as its owner reads it (e.g. from the job queue's tables). */
export interface QueueBacklog {
  queue: string;
  /** Jobs waiting to run (not running, not finished). */
  depth: number;
  /** Age of the oldest waiting job, in seconds; 0 when none waits. */
  oldestAgeSeconds: number;
}

export type QueueBacklogSource = () => Promise<QueueBacklog[]>;

let source: QueueBacklogSource | undefined;
let gaugesCreated = false;

/**
 * Makes GET /metrics report queue depth and age, read from `read` at each scrape. The gauges exist only
 * once a queue registers (no queue, no metric, rather than a zero that looks like an empty queue). The
 * last registration wins; the returned function unregisters it (the gauges then report nothing).
 */
export function registerQueueBacklog(read: QueueBacklogSource): () => void {
  source = read;
  if (!gaugesCreated) {
    createGauges();
    gaugesCreated = true;
  }
  return () => {
    if (source === read) source = undefined;
  };
}

function createGauges(): void {
  // Both gauges come from one read per scrape. prom-client starts the collects in registration order
  // without waiting between them, so depth's collect starts the read and age's awaits the same one.
  let pending: Promise<QueueBacklog[]> = Promise.resolve([]);
  new Gauge({
    name: 'ingest_queue_depth',
    help: 'Jobs waiting in a queue (not yet running), by queue.',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      // A queue that cannot be read reports nothing; the scrape itself still succeeds.
      pending = source ? source().catch(() => []) : Promise.resolve([]);
      const backlog = await pending;
      this.reset();
      for (const one of backlog) this.set({ queue: one.queue }, one.depth);
    },
  });
  new Gauge({
    name: 'ingest_queue_oldest_age_seconds',
    help: 'Age of the oldest job waiting in a queue, in seconds, by queue.',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const backlog = await pending;
      this.reset();
      for (const one of backlog) this.set({ queue: one.queue }, one.oldestAgeSeconds);
    },
  });
}
