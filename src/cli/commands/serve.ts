import { once } from 'node:events';
import { logger } from '../../logger.js';
import { withServices } from '../context.js';

export interface ServeOptions {
  port: number;
  host: string;
  /** Seconds to wait for in-flight requests at shutdown. */
  grace: number;
  /** Run jobs in this process too (the default; `--no-worker` for API-only nodes). */
  worker?: boolean;
  /** Jobs run at once by the in-process worker. */
  concurrency?: number;
}

/**
 * `ingest serve`: the HTTP API on the same configuration and embedded default as the CLI, until
 * SIGTERM/SIGINT (which abort `signal`); then a graceful shutdown, and the services close.
 */
export async function serveCommand(options: ServeOptions, signal: AbortSignal): Promise<void> {
  // Loaded here, not at the top: every other command (key create among them) runs without Fastify.
  const { startServer } = await import('../../server/index.js');
  // The CLI is quiet by default; a server logs requests unless INGEST_LOG_LEVEL says otherwise.
  if (!process.env.INGEST_LOG_LEVEL) logger.level = 'info';
  await withServices(async (services) => {
    const { config } = services;
    const { openJobQueue, startJobWorker } = await import('../../jobs/index.js');
    const boss = await openJobQueue({
      connectionString: services.database.connectionString,
      worker: options.worker !== false,
      heartbeatMs: config.jobHeartbeatMs,
      log: logger,
    });
    const worker =
      options.worker !== false
        ? await startJobWorker(services, boss, { concurrency: options.concurrency ?? 2 })
        : undefined;
    const server = await startServer({
      services,
      maxUploadBytes: config.maxUploadBytes,
      imports: { buckets: config.importBuckets, ...(config.s3 && { s3: config.s3 }) },
      host: options.host,
      port: options.port,
      log: logger,
      ...(config.readCacheBytes !== undefined && { readCacheBytes: config.readCacheBytes }),
      authFailuresPerMinute: config.authFailuresPerMinute,
      uploadAdmission: config.uploadAdmission,
      recoveryIntervalMs: config.recoveryIntervalMs,
      metrics: config.metrics,
      jobs: { boss, asyncThresholdBytes: config.asyncThresholdBytes },
      ...(config.auth && { auth: config.auth }),
      peopleLimits: config.peopleLimits,
    });
    process.stdout.write(`ingest serve: listening on ${server.url}\n`);
    if (server.metricsUrl) process.stdout.write(`ingest serve: metrics on ${server.metricsUrl}\n`);
    if (!signal.aborted) await once(signal, 'abort');
    await server.close(options.grace * 1000);
    await worker?.stop();
    await boss.stop({ graceful: true, close: true });
  });
}
