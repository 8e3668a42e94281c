import type { PgBoss } from 'pg-boss';
import { insertJob, markJobFailed, withTenant } from '../db/index.js';
import type { DialectOverrides, OnErrorPolicy } from '../domain/index.js';
import type { ObjectStore } from '../storage/index.js';
import { INGEST_QUEUE, type IngestJobData } from './job-queue.js';
import type { StagedUpload } from './stage-upload.js';

/** What the ingest of a staged upload is asked to do (the query of POST /v1/files). */
export interface IngestJobOptions {
  audit?: string;
  onError?: OnErrorPolicy;
  maxErrors?: number;
  /** Dialect overrides of the upload (delimiter, quote, header row...), as the request gave them. */
  dialect?: DialectOverrides;
  /** Who asked, for the activity log. */
  apiKeyId?: string;
  clientAddress?: string;
}

/**
 * Records the job for its organization (storage_meta.jobs, under RLS) and queues it. The staged bytes
 * are already in the object store; a queue that refuses the message marks the job failed and removes them.
 */
export async function enqueueIngest(
  boss: PgBoss,
  store: ObjectStore,
  pool: import('pg').Pool,
  organization: { id: string; slug: string },
  staged: StagedUpload,
  filename: string,
  options: IngestJobOptions,
): Promise<string> {
  await withTenant(pool, organization.id, (client) =>
    insertJob(client, {
      id: staged.jobId,
      organizationId: organization.id,
      filename,
      stagedKey: staged.key,
      bytesTotal: staged.bytes,
      options: { ...options },
    }),
  );
  const data: IngestJobData = {
    jobId: staged.jobId,
    organizationId: organization.id,
    organizationSlug: organization.slug,
  };
  try {
    await boss.send(INGEST_QUEUE, data, { id: staged.jobId });
  } catch (err) {
    await withTenant(pool, organization.id, (client) =>
      markJobFailed(client, staged.jobId, 'INTERNAL', 'the job could not be queued'),
    ).catch(() => undefined);
    await store.delete(staged.key).catch(() => undefined);
    throw err;
  }
  return staged.jobId;
}
