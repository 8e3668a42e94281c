import { once } from 'node:events';
import type { Command } from 'commander';
import {
  getJob,
  getOrganizationById,
  type JobRecord,
  listJobs,
  markJobCancelled,
  requeueJob,
  withTransaction,
} from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import type { Services } from '../../ingest/index.js';
import { logger } from '../../logger.js';
import { formatBytes } from '../../units.js';
import { withServices } from '../context.js';
import { parseIntegerOption } from '../option-parsers.js';
import { EXIT, printJson, shortTime, table } from '../output.js';

/** `ingest worker` and `ingest jobs list|show|retry|cancel`: the operator's view of the job queue. */
export function registerJobCommands(
  program: Command,
  signal: AbortSignal,
  setExitCode: (code: number) => void,
): void {
  program
    .command('worker')
    .description('run queued jobs (async uploads, schedules) until SIGTERM; as many machines as you like')
    .option('--concurrency <n>', 'jobs run at once', parseIntegerOption(1, 64), 2)
    .action(async (options: { concurrency: number }) => {
      if (!process.env.INGEST_LOG_LEVEL) logger.level = 'info';
      await withServices(async (services) => {
        const { openJobQueue, startJobWorker } = await import('../../jobs/index.js');
        const boss = await openJobQueue({
          connectionString: services.database.connectionString,
          worker: true,
          heartbeatMs: services.config.jobHeartbeatMs,
          log: logger,
        });
        const worker = await startJobWorker(services, boss, { concurrency: options.concurrency });
        process.stdout.write(`ingest worker: running ${options.concurrency} jobs at once\n`);
        if (!signal.aborted) await once(signal, 'abort');
        await worker.stop();
        await boss.stop({ graceful: true, close: true });
      });
      setExitCode(EXIT.ok);
    });

  const jobs = program.command('jobs').description('background jobs of every organization');
  jobs
    .command('list')
    .description('the newest jobs first')
    .option('--state <state>', 'only jobs in this state (queued, running, succeeded, failed, cancelled)')
    .option('--limit <n>', 'at most this many', parseIntegerOption(1, 10_000), 50)
    .option('--json', 'as JSON')
    .action(async (options: { state?: string; limit: number; json?: boolean }) =>
      withServices(async (services) => {
        const rows = await listJobs(services.pool, {
          limit: options.limit,
          ...(options.state !== undefined && { state: options.state }),
        });
        if (options.json) {
          printJson(rows);
          return;
        }
        process.stdout.write(
          `${table(
            ['id', 'state', 'file', 'bytes', 'attempts', 'created', 'error'],
            rows.map((job) => [
              job.id,
              job.state,
              job.filename,
              formatBytes(job.bytesTotal ?? 0),
              job.attempts,
              shortTime(job.createdAt),
              job.errorCode ?? '',
            ]),
          )}\n`,
        );
      }),
    );
  jobs
    .command('show')
    .argument('<id>', 'job id')
    .description('one job: state, progress, result or error')
    .action(async (id: string) =>
      withServices(async (services) => printJson(await mustGetJob(services.pool, id))),
    );
  jobs
    .command('retry')
    .argument('<id>', 'job id')
    .description('queue a failed job again (its uploaded bytes are kept until it succeeds or is cancelled)')
    .action(async (id: string) =>
      withServices(async (services) => {
        const job = await mustGetJob(services.pool, id);
        const requeued = await withTransaction(services.pool, { job: id }, (client) =>
          requeueJob(client, id),
        );
        if (!requeued) {
          throw new IngestError(
            'JOB_STATE_CONFLICT',
            `job ${id} is ${job.state}; only a failed job is retried`,
            {
              jobId: id,
            },
          );
        }
        await withQueueClient(services, async (boss, queueName) => {
          const slug = (await getOrganizationById(services.pool, job.organizationId))?.slug ?? '';
          await boss.send(queueName, {
            jobId: id,
            organizationId: job.organizationId,
            organizationSlug: slug,
          });
        });
        process.stdout.write(`job ${id} queued again\n`);
      }),
    );
  jobs
    .command('cancel')
    .argument('<id>', 'job id')
    .description('cancel a job not yet finished and remove its uploaded bytes')
    .action(async (id: string) =>
      withServices(async (services) => {
        const job = await mustGetJob(services.pool, id);
        const cancelled = await withTransaction(services.pool, { job: id }, (client) =>
          markJobCancelled(client, id),
        );
        if (!cancelled) {
          throw new IngestError('JOB_STATE_CONFLICT', `job ${id} already ${job.state}`, { jobId: id });
        }
        await withQueueClient(services, async (boss, queueName) => {
          await boss.cancel(queueName, id).catch(() => undefined);
        });
        await services.store.delete(job.stagedKey);
        process.stdout.write(`job ${id} cancelled\n`);
      }),
    );
}

async function mustGetJob(pool: import('pg').Pool, id: string): Promise<JobRecord> {
  const job = isUuid(id) ? await getJob(pool, id) : null;
  if (!job) throw new IngestError('JOB_NOT_FOUND', `no job ${id}`, { jobId: id.slice(0, 64) });
  return job;
}

// A type only: the queue module itself is imported when a command needs it, not when the CLI starts.
type JobQueue = Awaited<ReturnType<typeof import('../../jobs/index.js').openJobQueue>>;

/**
 * Opens the job queue as a client only (no worker), runs `use` with it and stops it again whatever happens:
 * `jobs retry` and `jobs cancel` each send the queue one message and must not leave a connection open.
 */
async function withQueueClient(
  services: Services,
  use: (boss: JobQueue, queueName: string) => Promise<void>,
): Promise<void> {
  const { openJobQueue, INGEST_QUEUE } = await import('../../jobs/index.js');
  const boss = await openJobQueue({
    connectionString: services.database.connectionString,
    worker: false,
    heartbeatMs: services.config.jobHeartbeatMs,
    log: logger,
  });
  try {
    await use(boss, INGEST_QUEUE);
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
}
