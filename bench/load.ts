/**
 * `npm run bench -- --load`: the HTTP API under load, driven by autocannon against `ingest serve` in a
 * child process on the bench's database.
 *
 * - uploads: concurrent `POST /v1/files` of distinct ~1 MB CSV bodies (each differs in one row, so
 *   dedup never answers from an earlier upload);
 * - reads: an organization seeded with many ready files (bench/seed-files.ts), then `GET
 *   /v1/files/:id/metrics` on random seeded ids and `GET /v1/files?limit=50` under many connections.
 *
 * The reads run first, right after seeding, so the uploads' writes (WAL, checkpoints, autovacuum) do
 * not land in their window. A short warm-up opens the server's database connections and warms its JIT
 * before anything is timed. Latencies are autocannon's: from writing the request to the last byte of
 * the response, for responses that completed within the run.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type AutocannonOptions, type AutocannonResult } from 'autocannon';
import type pg from 'pg';
import { createApiKey, type Scope } from '../src/api-keys/index.js';
import type { Services } from '../src/ingest/index.js';
import { packageRoot } from '../src/paths.js';
import { ensureFixture, Prng } from './generate-fixture.js';
import type { BenchOrganizations } from './organizations.js';
import { type PacedLoadResult, pacedLoad, percentile } from './paced-load.js';
import { seedFiles } from './seed-files.js';
import { type ServerProcess, startListeningProcess, startServerProcess } from './server-process.js';

const MiB = 1024 * 1024;

/**
 * Pause before each run: requests a run left unanswered when it ended are still worked off by the
 * server (their handlers finish after the client went away) and must not load the next run.
 */
const SETTLE_MS = 3_000;
const settle = () => sleep(SETTLE_MS);

/** Connections of the first-read pass: enough to keep the server's database connections busy. */
const FIRST_READ_CONNECTIONS = 50;

/** The dashboard's target for reads (issue 5). */
export const READ_P99_TARGET_MS = 100;

/**
 * Bench keys are counted like any key, but their limit must not be what the figures measure; the
 * column is an integer, and no run comes near this many requests in a minute.
 */
const BENCH_RATE_LIMIT_PER_MINUTE = 1_000_000_000;

export interface LoadOptions {
  uploadConnections: number;
  /** Seconds the upload run lasts. */
  uploadSeconds: number;
  readConnections: number;
  /** Seconds each read run lasts. */
  readSeconds: number;
  /** Files seeded into the read organization. */
  seededFiles: number;
  /** `?limit=` of the listing requests. */
  pageLimit: number;
  /**
   * Requests per second of the paced read runs, spread over all read connections: dashboards poll,
   * they do not fire the next request the moment the last one answered.
   */
  readRate: number;
  seed: number;
}

export const DEFAULT_LOAD_OPTIONS: LoadOptions = {
  uploadConnections: 50,
  uploadSeconds: 12,
  readConnections: 1000,
  readSeconds: 10,
  seededFiles: 10_000,
  pageLimit: 50,
  readRate: 300,
  seed: 1,
};

/** One autocannon run. Latencies in milliseconds. */
export interface LoadRow {
  name: string;
  connections: number;
  /** Offered requests per second (paced, open loop); null when every connection sends as soon as answered. */
  rate: number | null;
  seconds: number;
  /** Responses received (any status) within the run. */
  responses: number;
  /** Requests still unanswered when the run ended: not in any latency figure, so reported apart. */
  unanswered: number;
  requestsPerSecond: number;
  /** Request body megabytes (2^20) per second of 2xx responses; null for reads. */
  mbPerSecond: number | null;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Non-2xx responses, socket errors and timeouts: the run is clean only at 0. */
  errors: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  /** The server process's user + system CPU over the run, as a share of all cores; null if unknown. */
  serverCpuPercent: number | null;
  /** 1-minute load average when the run started and when it ended. */
  loadAverage: [number, number];
}

export interface LoadResults {
  options: LoadOptions;
  server: { mode: 'child process'; logLevel: string; peakRssBytes: number | null };
  seeded: { files: number; metricRows: number; seconds: number };
  uploadBodyBytes: number;
  /** Files the upload organization holds afterwards, as counted in the database. */
  uploadsStored: number;
  rows: LoadRow[];
  /**
   * Every seeded file's metrics read once before the target runs, each from the database; not held to
   * the target. Absent in results written before it existed.
   */
  firstReads?: LoadRow;
  /**
   * The saturated reads again, against bench/constant-server.ts answering a real answer's bytes: what
   * this machine and load generator allow for that answer at all. Absent before it existed.
   */
  ceilings?: LoadRow[];
  readP99TargetMs: number;
  /** Whether every read run's p99 was under the target with no errors, saturated runs included. */
  readTargetMet: boolean;
  /** The same for the paced read runs only. */
  pacedReadTargetMet: boolean;
}

interface LoadContext {
  services: Services;
  /** The login role, for seeding and counting. */
  admin: pg.Pool;
  orgs: BenchOrganizations;
  note(text: string): void;
}

export async function runLoad(ctx: LoadContext, options: LoadOptions): Promise<LoadResults> {
  const { services, admin, orgs, note } = ctx;
  const readOrg = await orgs.create('load-read');
  const uploadOrg = await orgs.create('load-upload');
  const key = async (organizationId: string, scopes: Scope[]) =>
    (
      await createApiKey(services.pool, {
        organizationId,
        scopes,
        name: 'bench',
        rateLimitPerMinute: BENCH_RATE_LIMIT_PER_MINUTE,
        actor: 'bench',
      })
    ).key;
  const readKey = await key(readOrg.id, ['files:read']);
  const uploadKey = await key(uploadOrg.id, ['files:write']);

  note(`seeding ${options.seededFiles.toLocaleString('en-US')} files in SQL...`);
  const seeded = await seedFiles(admin, readOrg.id, options.seededFiles);
  note(
    `  ${seeded.fileIds.length} files, ${seeded.metricRows.toLocaleString('en-US')} metric rows: ${seeded.seconds.toFixed(2)} s`,
  );

  const fixture = await ensureFixture(MiB, options.seed);
  const bodies = new UploadBodies(await readFile(fixture.path));

  const logLevel = process.env.INGEST_LOG_LEVEL ?? 'info';
  const logPath = join(tmpdir(), `ingest-bench-serve-${process.pid}.log`);
  note(`starting ingest serve (child process, log level ${logLevel}, log ${logPath})...`);
  const server = await startServerProcess(
    { DATABASE_URL: services.database.connectionString, INGEST_LOG_LEVEL: logLevel },
    logPath,
  );
  const rows: LoadRow[] = [];
  let peakRssBytes: number | null = null;
  let firstReads: LoadRow | undefined;
  const ceilings: LoadRow[] = [];
  try {
    const rng = new Prng(options.seed);
    const ids = seeded.fileIds;
    const metricsRequest = {
      method: 'GET',
      headers: { authorization: `Bearer ${readKey}` },
      setupRequest: (request: { path?: string }) => ({
        ...request,
        path: `/v1/files/${ids[rng.int(ids.length)]}/metrics`,
      }),
    };
    const listPath = `/v1/files?limit=${options.pageLimit}`;
    const run = async (
      name: string,
      cannon: Omit<AutocannonOptions, 'url'>,
      bodyBytes?: number,
      target: ServerProcess = server,
    ) => {
      note(
        `  ${name}: ${cannon.connections} connections, ${cannon.amount ? `${cannon.amount} requests` : `${cannon.duration} s`}...`,
      );
      const { result, ...measured } = await measure(target, () => autocannon({ url: target.url, ...cannon }));
      const row = toRow(name, result, { bodyBytes, ...measured });
      note(
        `    ${row.responses} responses (${row.unanswered} unanswered at the end), ${row.requestsPerSecond.toFixed(0)} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}`,
      );
      return row;
    };

    // Each seeded file's metrics once, in order: every request reads the database (the server keeps
    // each answer, as it would for files a dashboard shows). Reported apart from the target runs, which
    // then measure the steady state, a cache holding the organization's files.
    let nextFirst = 0;
    firstReads = await run(`GET /v1/files/:id/metrics, first read of each file`, {
      connections: FIRST_READ_CONNECTIONS,
      amount: ids.length,
      timeout: 60,
      requests: [
        {
          method: 'GET',
          headers: { authorization: `Bearer ${readKey}` },
          setupRequest: (request: { path?: string }) => ({
            ...request,
            path: `/v1/files/${ids[nextFirst++ % ids.length]}/metrics`,
          }),
        },
      ],
    });
    note('load: warm-up of the listing (not reported)...');
    await autocannon({
      url: server.url,
      connections: 20,
      duration: 1,
      requests: [{ method: 'GET', path: listPath, headers: { authorization: `Bearer ${readKey}` } }],
    });

    note('load: reads (saturated: each connection sends as soon as it is answered; then paced)...');
    const listRequest = { method: 'GET', path: listPath, headers: { authorization: `Bearer ${readKey}` } };
    rows.push(
      await run('GET /v1/files/:id/metrics', {
        connections: options.readConnections,
        duration: options.readSeconds,
        timeout: 60,
        requests: [metricsRequest],
      }),
    );
    rows.push(
      await run(`GET /v1/files?limit=${options.pageLimit}`, {
        connections: options.readConnections,
        duration: options.readSeconds,
        timeout: 60,
        requests: [listRequest],
      }),
    );
    const paced = async (name: string, path: () => string) => {
      note(
        `  ${name}: ${options.readConnections} connections, paced at ${options.readRate} req/s, ${options.readSeconds} s...`,
      );
      const { result, ...measured } = await measure(server, () =>
        pacedLoad({
          url: server.url,
          connections: options.readConnections,
          rate: options.readRate,
          seconds: options.readSeconds,
          timeoutSeconds: 60,
          next: () => ({ path: path(), headers: { authorization: `Bearer ${readKey}` } }),
        }),
      );
      const row = pacedRow(name, options, result, measured);
      note(`    ${row.responses} responses, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}`);
      return row;
    };
    rows.push(
      await paced('GET /v1/files/:id/metrics', () => `/v1/files/${ids[rng.int(ids.length)]}/metrics`),
    );
    rows.push(await paced(`GET /v1/files?limit=${options.pageLimit}`, () => listPath));

    note('load: the same saturated reads of a constant answer from plain node:http (machine ceiling)...');
    // The same requests as the server's runs (the metrics ones built per request with a random id), so
    // the load generator's own cost is the same too.
    for (const [name, path, request] of [
      ['metrics', `/v1/files/${ids[0]}/metrics`, metricsRequest],
      ['listing', listPath, listRequest],
    ] as const) {
      const answer = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${readKey}` } });
      if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
      const body = Buffer.from(await answer.arrayBuffer());
      const bodyPath = join(tmpdir(), `ingest-bench-answer-${process.pid}.json`);
      await writeFile(bodyPath, body);
      const constant = await startListeningProcess(
        [join(packageRoot(), 'dist/bench/constant-server.js'), bodyPath],
        {},
        `${logPath}.constant`,
      );
      try {
        ceilings.push(
          await run(
            `constant ${name} answer (${(body.length / 1024).toFixed(1)} KB), node:http`,
            {
              connections: options.readConnections,
              duration: options.readSeconds,
              timeout: 60,
              requests: [request],
            },
            undefined,
            constant,
          ),
        );
      } finally {
        await constant.stop();
        await rm(bodyPath, { force: true });
      }
    }

    note('load: uploads...');
    rows.push(
      await run(
        `POST /v1/files (${(bodies.bytes / MiB).toFixed(1)} MB each)`,
        {
          connections: options.uploadConnections,
          duration: options.uploadSeconds,
          // Waiting for one of the server's ingest slots is part of an upload's latency, not a failure.
          timeout: 120,
          requests: [
            {
              method: 'POST',
              headers: { authorization: `Bearer ${uploadKey}`, 'content-type': 'text/csv' },
              setupRequest: (request) => {
                const n = bodies.next();
                return { ...request, path: `/v1/files?filename=load-${n}.csv`, body: bodies.body(n) };
              },
            },
          ],
        },
        bodies.bytes,
      ),
    );
    peakRssBytes = await server.peakRssBytes();
  } finally {
    const code = await server.stop();
    if (code !== 0) note(`ingest serve exited with ${code} (log: ${logPath})`);
  }
  const stored = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1 AND status = 'ready'`,
    [uploadOrg.id],
  );
  const reads = rows.filter(isRead);
  const met = (list: LoadRow[]) => list.length > 0 && list.every(meetsReadTarget);
  return {
    options,
    server: { mode: 'child process', logLevel, peakRssBytes },
    seeded: { files: seeded.fileIds.length, metricRows: seeded.metricRows, seconds: seeded.seconds },
    ...(firstReads && { firstReads }),
    ceilings,
    uploadBodyBytes: bodies.bytes,
    uploadsStored: stored.rows[0]!.n,
    rows,
    readP99TargetMs: READ_P99_TARGET_MS,
    readTargetMet: met(reads),
    pacedReadTargetMet: met(reads.filter((r) => r.rate !== null)),
  };
}

/** A read run (no upload body): the runs held to the dashboard target. */
export function isRead(row: LoadRow): boolean {
  return row.mbPerSecond === null;
}

/** Whether a read run met the dashboard target: answered, no errors, p99 under READ_P99_TARGET_MS. */
export function meetsReadTarget(row: LoadRow): boolean {
  return row.responses > 0 && row.errors === 0 && row.p99Ms < READ_P99_TARGET_MS;
}

/**
 * Runs `work` after the settle pause, with the target process's CPU seconds and the 1-minute load
 * average taken around it.
 */
async function measure<T>(
  target: ServerProcess,
  work: () => Promise<T>,
): Promise<{ result: T; cpuSeconds: number | null; loadAverage: [number, number] }> {
  await settle();
  const cpuBefore = await target.cpuSeconds();
  const loadBefore = loadavg()[0]!;
  const result = await work();
  const cpuAfter = await target.cpuSeconds();
  return {
    result,
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    loadAverage: [loadBefore, loadavg()[0]!],
  };
}

/** CPU seconds over `seconds` of wall time, as a share of all cores; null if unknown. */
function cpuPercent(cpuSeconds: number | null, seconds: number): number | null {
  return cpuSeconds === null ? null : (100 * cpuSeconds) / (seconds * availableParallelism());
}

function toRow(
  name: string,
  result: AutocannonResult,
  extra: { bodyBytes: number | undefined; cpuSeconds: number | null; loadAverage: [number, number] },
): LoadRow {
  const responses = result.latency.totalCount;
  const ok = result['2xx'];
  const statusCounts: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats)) statusCounts[status] = stats.count;
  return {
    name,
    connections: result.connections,
    rate: null,
    seconds: result.duration,
    responses,
    unanswered: Math.max(0, result.requests.sent - responses),
    requestsPerSecond: responses / result.duration,
    mbPerSecond: extra.bodyBytes === undefined ? null : (ok * extra.bodyBytes) / MiB / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    errors: result.non2xx + result.errors + result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
    serverCpuPercent: cpuPercent(extra.cpuSeconds, result.duration),
    loadAverage: extra.loadAverage,
  };
}

function pacedRow(
  name: string,
  options: LoadOptions,
  result: PacedLoadResult,
  extra: { cpuSeconds: number | null; loadAverage: [number, number] },
): LoadRow {
  const responses = result.latenciesMs.length;
  const ok = Object.entries(result.statusCounts)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, n]) => sum + n, 0);
  const round = (ms: number) => Math.round(ms);
  return {
    name,
    connections: options.readConnections,
    rate: options.readRate,
    seconds: result.seconds,
    responses,
    unanswered: Math.max(0, result.sent - responses - result.failures),
    requestsPerSecond: responses / result.seconds,
    mbPerSecond: null,
    p50Ms: round(percentile(result.latenciesMs, 50)),
    p99Ms: round(percentile(result.latenciesMs, 99)),
    maxMs: round(result.latenciesMs.at(-1) ?? 0),
    errors: responses - ok + result.failures,
    non2xx: responses - ok,
    statusCounts: result.statusCounts,
    serverCpuPercent: cpuPercent(extra.cpuSeconds, result.seconds),
    loadAverage: extra.loadAverage,
  };
}

/**
 * Distinct upload bodies from one ~1 MB fixture: the header, then a record unique to the request
 * number, then the fixture's records. Built per request (one 1 MB copy), so memory stays flat however
 * many requests a run sends.
 */
export class UploadBodies {
  private readonly header: Buffer;
  private readonly records: Buffer;
  private count = 0;
  readonly bytes: number;

  constructor(fixture: Buffer) {
    const end = fixture.indexOf(0x0a) + 1;
    if (end <= 0) throw new Error('the upload fixture has no header line');
    this.header = fixture.subarray(0, end);
    this.records = fixture.subarray(end);
    this.bytes = this.body(0).length;
  }

  /** The next request number, from 1. */
  next(): number {
    return ++this.count;
  }

  body(n: number): Buffer {
    // Same columns as the fixture (bench/fixture-columns.ts); the id and email carry the request number.
    const id = String(n).padStart(9, '0');
    const record = Buffer.from(
      `${id},Load Test,load.${id}@example.com,US,pro,10.00,0.5000,true,2024-01-01,2024-01-01T00:00:00.000Z,1 Main St,load request ${id}\n`,
    );
    return Buffer.concat([this.header, record, this.records]);
  }
}
