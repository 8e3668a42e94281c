import { Counter, Histogram } from 'prom-client';
import { isIngestError } from '../errors.js';
import { registry } from './registry.js';

/** What measureIngest needs of an ingest's result. */
export interface MeasuredIngest {
  duplicate: boolean;
  bytes: number;
  rows: number;
  rejectedRows: number;
}

const files = new Counter({
  name: 'ingest_files_total',
  help: 'Ingests finished, by outcome: ready (a new file), duplicate (same bytes already ready), failed.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

const bytes = new Counter({
  name: 'ingest_bytes_total',
  help: 'Bytes of the originals of files that became ready (duplicates not counted).',
  registers: [registry],
});

const rows = new Counter({
  name: 'ingest_rows_total',
  help: 'Rows stored by files that became ready.',
  registers: [registry],
});

const rejectedRows = new Counter({
  name: 'ingest_rejected_rows_total',
  help: 'Rows rejected (on-error skip) by files that became ready.',
  registers: [registry],
});

const failures = new Counter({
  name: 'ingest_failures_total',
  help: 'Ingests that failed, by error code (the README error reference).',
  labelNames: ['code'] as const,
  registers: [registry],
});

// From a 5 ms duplicate answer to a 10 GB file's tens of minutes.
const duration = new Histogram({
  name: 'ingest_duration_seconds',
  help: 'Wall time of one ingest, from its first byte received to its answer, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600, 1800],
  registers: [registry],
});

const ingestBytes = new Histogram({
  name: 'ingest_file_bytes',
  help: 'Size of the originals of files that became ready.',
  buckets: [1024, 64 * 1024, 1024 ** 2, 16 * 1024 ** 2, 128 * 1024 ** 2, 1024 ** 3, 10 * 1024 ** 3],
  registers: [registry],
});

/** Runs one ingest and records its outcome, size and duration, or its failure's code. */
export async function measureIngest<T extends MeasuredIngest>(run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let result: T;
  try {
    result = await run();
  } catch (err) {
    failures.inc({ code: isIngestError(err) ? err.code : 'INTERNAL' });
    files.inc({ outcome: 'failed' });
    duration.observe({ outcome: 'failed' }, seconds());
    throw err;
  }
  const outcome = result.duplicate ? 'duplicate' : 'ready';
  files.inc({ outcome });
  duration.observe({ outcome }, seconds());
  if (!result.duplicate) {
    bytes.inc(result.bytes);
    rows.inc(result.rows);
    rejectedRows.inc(result.rejectedRows);
    ingestBytes.observe(result.bytes);
  }
  return result;
}
