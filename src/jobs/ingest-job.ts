import { markJobFailed, markJobProgress, markJobRunning, markJobSucceeded, withTenant } from '../db/index.js';
import { coerceError } from '../errors.js';
import { type IngestServices, ingest } from '../ingest/index.js';
import type { IngestJobOptions } from './enqueue-ingest.js';
import { INGEST_RETRIES, type IngestJobData } from './job-queue.js';

/** Progress is written at most this often: a row update per chunk would cost more than the chunk. */
const PROGRESS_INTERVAL_MS = 1_000;

/**
 * Runs one delivery of an ingest job: reads the staged bytes from the object store into ingest(),
 * records progress, and the result or the coded error. A refusal of the input (4xx: a bad CSV, the
 * quota) fails the job for good; anything else is thrown, so pg-boss retries it (up to INGEST_RETRIES
 * times) on whichever worker fetches it next. A retry after a crash is safe: the file lock keeps two
 * attempts apart, recovery removes a dead attempt's `processing` row, and dedup answers an attempt
 * whose predecessor already made the file ready. Returns without work when the job already finished.
 */
export async function runIngestJob(
  services: IngestServices,
  data: IngestJobData,
  delivery: { retryCount: number; signal?: AbortSignal },
): Promise<void> {
  const { jobId, organizationId } = data;
  const log = services.log.child({ stage: 'job', job: jobId, organization: organizationId });
  const job = await withTenant(services.pool, organizationId, (client) => markJobRunning(client, jobId));
  if (!job) {
    log.info('job already finished or cancelled; nothing to do');
    return;
  }
  const options = job.options as IngestJobOptions;
  let lastWrite = 0;
  let pending: Promise<void> = Promise.resolve();
  try {
    const stream = await services.store.get(job.stagedKey);
    const result = await ingest(
      services,
      {
        kind: 'stream',
        stream,
        filename: job.filename,
        ...(job.bytesTotal !== null && { declaredBytes: job.bytesTotal }),
      },
      {
        organization: { id: organizationId, slug: data.organizationSlug },
        ...(options.audit !== undefined && { audit: options.audit }),
        onError: options.onError ?? (options.maxErrors !== undefined ? 'skip' : 'strict'),
        ...(options.maxErrors !== undefined && { maxErrors: options.maxErrors }),
        ...(options.dialect !== undefined && { dialect: options.dialect }),
        actor: {
          name: 'job',
          ...(options.apiKeyId !== undefined && { apiKeyId: options.apiKeyId }),
          ...(options.clientAddress !== undefined && { clientAddress: options.clientAddress }),
        },
        ...(delivery.signal && { signal: delivery.signal }),
        onProgress: (progress) => {
          const now = Date.now();
          if (now - lastWrite < PROGRESS_INTERVAL_MS) return;
          lastWrite = now;
          pending = pending
            .then(() =>
              withTenant(services.pool, organizationId, (client) =>
                markJobProgress(client, jobId, progress.bytes),
              ),
            )
            .catch((err) => log.warn({ err }, 'could not record job progress'));
        },
      },
    );
    await pending;
    await withTenant(services.pool, organizationId, (client) =>
      markJobSucceeded(client, jobId, {
        fileId: result.fileId,
        rows: result.rows,
        bytes: result.bytes,
        result: { ...result },
      }),
    );
    await services.store.delete(job.stagedKey).catch((err) => log.warn({ err }, 'staged upload not removed'));
    log.info({ file: result.fileId, duplicate: result.duplicate }, 'job succeeded');
  } catch (err) {
    await pending;
    const error = coerceError(err, { organization: organizationId });
    const lastAttempt = delivery.retryCount >= INGEST_RETRIES;
    if (error.status < 500 || lastAttempt) {
      // The staged bytes stay until the job is retried by hand or cancelled.
      await withTenant(services.pool, organizationId, (client) =>
        markJobFailed(client, jobId, error.code, error.message),
      );
      log.info({ code: error.code }, 'job failed');
      return;
    }
    log.warn({ err: error, retry: delivery.retryCount }, 'job attempt failed; pg-boss retries it');
    throw error;
  }
}
