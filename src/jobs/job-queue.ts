import { PgBoss } from 'pg-boss';
import { JOB_QUEUE_SCHEMA } from '../db/index.js';
import type { Logger } from '../logger.js';

/** The pg-boss queue ingest jobs go through. */
export const INGEST_QUEUE = 'ingest';

/**
 * Attempts of one ingest job after the first. A retry is safe: the file's advisory lock keeps two
 * attempts from processing it at once, and dedup by (organization, SHA-256) turns an attempt whose
 * predecessor finished into an answer instead of a second file.
 */
export const INGEST_RETRIES = 3;

/** The longest an ingest job may run at all; a dead worker is noticed by its missing heartbeat, much sooner. */
const INGEST_EXPIRE_SECONDS = 24 * 60 * 60;

/** The message a queued ingest job carries; everything else is in storage_meta.jobs. */
export interface IngestJobData {
  jobId: string;
  organizationId: string;
  organizationSlug: string;
}

export interface JobQueueOptions {
  connectionString: string;
  /** Runs jobs and schedules here (workers); an API-only node only sends. */
  worker: boolean;
  heartbeatMs: number;
  log: Logger;
}

/**
 * pg-boss on the migrated `pgboss` schema (migrate() installs it: this never creates or upgrades it).
 * pg-boss connects as the login role, like migrate() and the CLI; jobs touch tenant data only through
 * src/db's tenant-context helpers, as ingest_app under row-level security.
 */
export async function openJobQueue(options: JobQueueOptions): Promise<PgBoss> {
  const heartbeatSeconds = Math.max(10, Math.round(options.heartbeatMs / 1000));
  const boss = new PgBoss({
    connectionString: options.connectionString,
    schema: JOB_QUEUE_SCHEMA,
    migrate: false,
    supervise: options.worker,
    schedule: options.worker,
    // The monitor is what fails over a job whose worker stopped sending heartbeats.
    monitorIntervalSeconds: heartbeatSeconds,
    superviseIntervalSeconds: heartbeatSeconds,
    useListenNotify: true,
    application_name: options.worker ? 'ingest-worker' : 'ingest',
    max: 4,
  });
  boss.on('error', (err) => options.log.warn({ err }, 'job queue error'));
  await boss.start();
  const queue = {
    retryLimit: INGEST_RETRIES,
    retryDelay: 1,
    expireInSeconds: INGEST_EXPIRE_SECONDS,
    heartbeatSeconds,
  };
  if ((await boss.getQueue(INGEST_QUEUE)) === null) {
    await boss.createQueue(INGEST_QUEUE, queue).catch(async (err) => {
      // Two processes starting at once: the other one created it.
      if ((await boss.getQueue(INGEST_QUEUE)) === null) throw err;
    });
  }
  return boss;
}
