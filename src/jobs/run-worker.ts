import type { PgBoss } from 'pg-boss';
import type { IngestServices } from '../ingest/index.js';
import { runIngestJob } from './ingest-job.js';
import { INGEST_QUEUE, type IngestJobData } from './job-queue.js';

export interface JobWorker {
  /** Stops fetching, waits for the jobs in hand (pg-boss's graceful stop), keeps the queue open. */
  stop(): Promise<void>;
}

/**
 * Runs ingest jobs in this process, `concurrency` at once. pg-boss fetches with SKIP LOCKED, refreshes
 * each job's heartbeat while it runs, and wakes on LISTEN/NOTIFY when one is queued.
 */
export async function startJobWorker(
  services: IngestServices,
  boss: PgBoss,
  options: { concurrency: number },
): Promise<JobWorker> {
  const id = await boss.work<IngestJobData>(
    INGEST_QUEUE,
    { localConcurrency: options.concurrency, batchSize: 1, pollingIntervalSeconds: 2 },
    async (jobs) => {
      for (const job of jobs) {
        await runIngestJob(services, job.data, { retryCount: job.retryCount, signal: job.signal });
      }
    },
  );
  return {
    async stop() {
      await boss.offWork(INGEST_QUEUE, { id, wait: true });
    },
  };
}
