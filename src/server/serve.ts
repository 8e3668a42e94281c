import { ChangeFeed } from '../cache-coherence/index.js';
import {
  type AuthConfig,
  defaultUploadAdmission,
  type PeopleLimits,
  type UploadAdmissionConfig,
} from '../config.js';
import { notify, queueBacklog } from '../db/index.js';
import { type IngestServices, recoverPeriodically } from '../ingest/index.js';
import { LIMITS } from '../limits.js';
import type { Logger } from '../logger.js';
import { enableProcessMetrics, registerPoolMetrics, registerQueueBacklog } from '../telemetry/index.js';
import { createAdmission } from './admission.js';
import { buildApp } from './app.js';
import type { ImportSettings } from './context.js';
import { type MetricsListener, type MetricsSettings, startMetricsListener } from './metrics-endpoint.js';
import type { ServerJobs } from './routes/index.js';

/**
 * Received uploads processed at once. Each holds up to two connections of the pool (20) while
 * processing, and requests need a few more for authentication; beyond the core count, more only
 * queues chunk work in the worker pool.
 */
export const CONCURRENT_INGESTS = 8;

/**
 * Pending connections the kernel queues before accept() (the kernel caps it at net.core.somaxconn).
 * Node's default of 511 overflows when a thousand clients connect at once while the event loop is busy:
 * dropped SYNs are retried after 1, 3, 7 s, which showed as multi-second p99 latencies under load.
 */
export const LISTEN_BACKLOG = 4096;

/** How long shutdown waits for in-flight requests before aborting uploads (SIGTERM to exit). */
export const DEFAULT_GRACE_MS = 30_000;

/** After aborting, how long the aborted uploads get to roll back and answer before sockets are cut. */
const ABORT_SETTLE_MS = 5_000;

export interface ServerOptions {
  services: IngestServices;
  maxUploadBytes: number;
  /** Where `POST /v1/files/import` may read from; without it the endpoint answers 403. */
  imports?: ImportSettings;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** Bytes of serialized answers the read cache keeps (INGEST_READ_CACHE_SIZE); 0 turns it off. */
  readCacheBytes?: number;
  /** Failed authentications per minute from one client address (INGEST_AUTH_FAILURES_PER_MINUTE); 0: off. */
  authFailuresPerMinute?: number;
  /** Caps and timers for upload bodies (INGEST_MAX_UPLOADS_PER_ORG, ...); defaults for what is not given. */
  uploadAdmission?: Partial<UploadAdmissionConfig>;
  /** How often to recover what dead processes left (INGEST_RECOVERY_INTERVAL), in ms; 0: never. */
  recoveryIntervalMs?: number;
  /** Where GET /metrics is served (INGEST_METRICS_PORT, _HOST, _TOKEN); nowhere when unset. */
  metrics?: MetricsSettings;
  /** The job queue: async uploads (202 + Location) and GET /v1/jobs/:id; the caller closes it. */
  jobs?: ServerJobs;
  /** Sign-in through the identity provider (INGEST_AUTH_*); without it only API keys authenticate. */
  auth?: AuthConfig;
  /** Bounds on members, invitations, clients and keys. */
  peopleLimits?: PeopleLimits;
}

export interface RunningServer {
  /** `http://host:port` as bound. */
  url: string;
  /** `http://host:port/metrics` of the metrics listener, when one runs. */
  metricsUrl?: string;
  /**
   * Stops accepting connections (new requests on open ones get 503), waits up to `graceMs` for
   * in-flight requests, then aborts the uploads still running (they roll back and answer
   * SHUTTING_DOWN) and closes what remains. Does not close the services.
   */
  close(graceMs?: number): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const services: IngestServices = {
    ...options.services,
    admission: options.services.admission ?? createAdmission(CONCURRENT_INGESTS),
  };
  const changes = new ChangeFeed(
    services.pool.options,
    (channel, payload) => notify(services.pool, channel, payload),
    options.log.child({ stage: 'changes' }),
  );
  const { app, uploads } = buildApp({
    services,
    maxUploadBytes: options.maxUploadBytes,
    uploadAdmission: { ...defaultUploadAdmission(options.maxUploadBytes), ...options.uploadAdmission },
    ...(options.imports && { imports: options.imports }),
    log: options.log,
    changes,
    ...(options.readCacheBytes !== undefined && { readCacheBytes: options.readCacheBytes }),
    ...(options.authFailuresPerMinute !== undefined && {
      authFailuresPerMinute: options.authFailuresPerMinute,
    }),
    ...(options.metrics?.token && { metricsToken: options.metrics.token }),
    ...(options.jobs && { jobs: options.jobs }),
    ...(options.auth && { auth: options.auth }),
    ...(options.peopleLimits && { peopleLimits: options.peopleLimits }),
  });
  const metricsOn = options.metrics?.port !== undefined || Boolean(options.metrics?.token);
  if (metricsOn) enableProcessMetrics();
  const unregisterPool = registerPoolMetrics(services.pool);
  // With a job queue, /metrics reports its backlog per queue, read from pg-boss's table at each scrape.
  const unregisterQueue = options.jobs
    ? registerQueueBacklog(async () => (await queueBacklog(services.pool)) ?? [])
    : () => undefined;
  let metricsListener: MetricsListener | undefined;
  try {
    await changes.start();
    await app.listen({ host: options.host, port: options.port, backlog: LISTEN_BACKLOG });
    if (options.metrics?.port !== undefined) {
      metricsListener = await startMetricsListener(
        { port: options.metrics.port, host: options.metrics.host ?? '127.0.0.1' },
        options.log,
      );
    }
  } catch (err) {
    unregisterPool();
    unregisterQueue();
    await app.close().catch(() => undefined);
    await changes.close();
    throw err;
  }
  // Start-up recovery ran when the services opened; this repeats it while the server runs, so rows a
  // crashed sibling left `processing` stop holding their organization's quota without a restart.
  const recoveryIntervalMs = options.recoveryIntervalMs ?? LIMITS.recoveryIntervalMs.default;
  const recovery =
    recoveryIntervalMs > 0 ? recoverPeriodically(services, recoveryIntervalMs, options.log) : undefined;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    ...(metricsListener && { metricsUrl: metricsListener.url }),
    close(graceMs = DEFAULT_GRACE_MS) {
      closing ??= (async () => {
        const log = options.log.child({ stage: 'shutdown' });
        log.info({ inFlightUploads: uploads.size, graceMs }, 'shutting down');
        const closed = app.close();
        const timers: NodeJS.Timeout[] = [];
        timers.push(
          setTimeout(() => {
            log.warn({ inFlightUploads: uploads.size }, 'grace period over: aborting uploads');
            uploads.abortAll();
            timers.push(
              setTimeout(() => {
                log.warn('closing the connections still open');
                app.server.closeAllConnections();
              }, ABORT_SETTLE_MS),
            );
          }, graceMs),
        );
        try {
          await closed;
        } finally {
          for (const t of timers) clearTimeout(t);
          await recovery?.stop();
          await metricsListener?.close();
          unregisterPool();
          unregisterQueue();
          await changes.close();
        }
        log.info('stopped');
      })();
      return closing;
    },
  };
}
