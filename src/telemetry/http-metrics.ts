import { Counter } from 'prom-client';
import { registry } from './registry.js';

const errors = new Counter({
  name: 'ingest_http_errors_total',
  help: 'Coded error answers of the HTTP API, by error code and status (4xx refusals and 5xx failures).',
  labelNames: ['code', 'status'] as const,
  registers: [registry],
});

/** Counts one coded error answer. */
export function recordHttpError(code: string, status: number): void {
  errors.inc({ code, status: String(status) });
}
