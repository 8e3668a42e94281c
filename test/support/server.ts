import { readdir } from 'node:fs/promises';
import { createApiKey, SCOPES, type Scope } from '../../src/api-keys/index.js';
import type { AuthConfig, PeopleLimits, UploadAdmissionConfig } from '../../src/config.js';
import type { Organization } from '../../src/db/index.js';
import { openJobQueue, startJobWorker } from '../../src/jobs/index.js';
import { logger } from '../../src/logger.js';
import type { ImportSettings } from '../../src/server/context.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import type { MetricsSettings } from '../../src/server/metrics-endpoint.js';
import type { ObjectStore } from '../../src/storage/index.js';
import { createTestEnvironment, type TestEnvironment } from './services.js';
import { NO_TRACES as NO_STORED_TRACES, organizationTraces } from './traces.js';

export const ALL_SCOPES: Scope[] = [...SCOPES];

export interface TestServer {
  env: TestEnvironment;
  server: RunningServer;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A new key for the organization (created on first use), with all scopes unless given. */
  key(
    org: string | Organization,
    options?: { scopes?: Scope[]; rateLimitPerMinute?: number },
  ): Promise<{ key: string; id: string; organization: Organization }>;
  /** fetch on the server with the key as Bearer token. */
  request(path: string, key: string | undefined, init?: RequestInit): Promise<Response>;
  /** Every trace an organization's files can leave: rows (as the login role), objects, spool files. */
  traces(organizationId: string): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export const NO_TRACES = { ...NO_STORED_TRACES, spool: 0 };

/**
 * Caps on uploads in flight for test servers: tests that are not about them send tens of uploads of one
 * key at once (server.concurrent-uploads sends 20). Tests of the caps pass their own.
 */
const TEST_UPLOAD_CAPS = { maxUploadsPerOrg: 64, maxUploadsPerKey: 64 };

/** A real server on 127.0.0.1 (any free port) over a test environment of its own. */
export async function startTestServer(
  options: {
    maxUploadBytes?: number;
    imports?: ImportSettings;
    /** Where originals go instead of the environment's local folder (e.g. a bucket on s3rver). */
    store?: ObjectStore;
    uploadAdmission?: Partial<UploadAdmissionConfig>;
    recoveryIntervalMs?: number;
    /** GET /metrics: a listener of its own (port 0: any free one) and/or a token on the API port. */
    metrics?: MetricsSettings;
    /** The job queue: async uploads and GET /v1/jobs/:id, with an in-process worker unless `worker: false`. */
    jobs?: { worker?: boolean; asyncThresholdBytes?: number; heartbeatMs?: number };
    /** Sign-in through an identity provider (test/support/identity-provider.ts serves one). */
    auth?: AuthConfig;
    peopleLimits?: PeopleLimits;
  } = {},
): Promise<TestServer> {
  const env = await createTestEnvironment();
  if (options.store) env.services.store = options.store;
  const boss = options.jobs
    ? await openJobQueue({
        connectionString: env.url,
        worker: options.jobs.worker !== false,
        heartbeatMs: options.jobs.heartbeatMs ?? 10_000,
        log: logger,
      })
    : undefined;
  const worker =
    boss && options.jobs?.worker !== false
      ? await startJobWorker(env.services, boss, { concurrency: 2 })
      : undefined;
  const server = await startServer({
    services: env.services,
    maxUploadBytes: options.maxUploadBytes ?? 64 * 1024 * 1024,
    ...(options.imports && { imports: options.imports }),
    uploadAdmission: { ...TEST_UPLOAD_CAPS, ...options.uploadAdmission },
    ...(options.recoveryIntervalMs !== undefined && { recoveryIntervalMs: options.recoveryIntervalMs }),
    ...(options.metrics && { metrics: options.metrics }),
    ...(boss && {
      jobs: { boss, asyncThresholdBytes: options.jobs?.asyncThresholdBytes ?? Number.MAX_SAFE_INTEGER },
    }),
    ...(options.auth && { auth: options.auth }),
    ...(options.peopleLimits && { peopleLimits: options.peopleLimits }),
    host: '127.0.0.1',
    port: 0,
    log: logger,
  });
  return {
    env,
    server,
    url: server.url,
    async key(org, keyOptions = {}) {
      const organization = typeof org === 'string' ? await env.organization(org) : org;
      const { record, key } = await createApiKey(env.services.pool, {
        organizationId: organization.id,
        scopes: keyOptions.scopes ?? ALL_SCOPES,
        ...(keyOptions.rateLimitPerMinute !== undefined && {
          rateLimitPerMinute: keyOptions.rateLimitPerMinute,
        }),
        actor: 'test',
      });
      return { key, id: record.id, organization };
    },
    request(path, key, init = {}) {
      const headers = new Headers(init.headers);
      if (key !== undefined) headers.set('authorization', `Bearer ${key}`);
      return fetch(`${server.url}${path}`, { ...init, headers });
    },
    async traces(organizationId) {
      const spool = await readdir(env.services.spoolDir).catch(() => []);
      return { ...(await organizationTraces(env, organizationId)), spool: spool.length };
    },
    async close() {
      await server.close(1000);
      await worker?.stop();
      await boss?.stop({ graceful: true, close: true });
      await env.close();
    },
  };
}

/** Polls `check` every 20 ms until it returns true, failing after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the API's JSON bodies may hold, typed loosely enough for assertions. */
export interface ApiBody {
  error: { code: string; message: string; [key: string]: unknown };
  files: Array<{ fileId: string; [key: string]: unknown }>;
  nextCursor: string | null;
  metrics: Array<{ metricType: string; [key: string]: unknown }>;
  schema: unknown[];
  fileId: string;
  filename: string;
  duplicate: boolean;
  bytes: number;
  rows: number;
  rejectedRows: number;
  usedBytes: number;
  auditId: string | null;
  [key: string]: unknown;
}

/** A response's JSON body. */
export async function json(res: Response): Promise<ApiBody> {
  return (await res.json()) as ApiBody;
}
