import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The one registry of this process's metrics, scraped at GET /metrics. Every metric name starts with
 * `ingest_`. Counters are per process: Prometheus sums them across the processes it scrapes.
 */
export const registry = new Registry();

let processMetrics = false;

/**
 * Adds Node's process metrics (CPU, memory, event-loop lag, handles) under `ingest_process_*`. Only a
 * process that serves metrics pays for the event-loop monitor they start; once per process.
 */
export function enableProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry, prefix: 'ingest_process_' });
}

/** The metrics in Prometheus' text exposition format, and its content type. */
export async function exposition(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
