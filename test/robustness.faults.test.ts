import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../bench/generate-fixture.js';
import { ingest } from '../src/ingest/index.js';
import { packageRoot } from '../src/paths.js';
import { runCli } from './support/run-cli.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';
import { mountTmpfsOrSkip, unmountTmpfs } from './support/tmpfs.js';
import { ingestFailure, NO_TRACES, organizationTraces } from './support/traces.js';

let env: TestEnvironment;
let big: string;

beforeAll(async () => {
  env = await createTestEnvironment();
  big = join(env.home, 'big.csv');
  // Large enough that an ingest runs for a while (dozens of chunks), small enough for CI.
  await writeFixture(big, 24 * 1024 * 1024, 7);
}, 60_000);
afterAll(async () => {
  await env?.close();
});

const traces = (orgId: string) => organizationTraces(env, orgId);
const NOTHING = NO_TRACES;
const failure = ingestFailure;

/** Polls until a file of the organization is `processing`, i.e. an ingest is mid-way. */
async function untilProcessing(organizationId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { rowCount } = await env.admin.query(
      `SELECT 1 FROM storage_meta.files WHERE organization_id = $1 AND status = 'processing'`,
      [organizationId],
    );
    if (rowCount) return;
    await sleep(10);
  }
  throw new Error('no ingest reached processing');
}

function startCli(args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [join(packageRoot(), 'dist/src/cli/main.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: env.home, DATABASE_URL: env.url, INGEST_HOME: env.home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('faults leave nothing half-written', () => {
  it('fails cleanly when the database connection drops mid-COPY, and the retry succeeds', async () => {
    const org = await env.organization('fault-db');
    let killed = 0;
    // The ingest's COPY into its staging table is the statement to cut; polling finds it while it runs.
    const killer = (async () => {
      for (let i = 0; i < 3000 && killed === 0; i++) {
        const { rowCount } = await env.admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'COPY %'`,
        );
        killed = rowCount ?? 0;
        if (!killed) await sleep(5);
      }
    })();
    const err = await failure(ingest(env.services, { kind: 'path', path: big }, { organization: org }));
    await killer;
    expect(killed).toBeGreaterThan(0);
    expect(err.code).toBe('DATABASE_UNAVAILABLE');
    expect(await traces(org.id)).toEqual(NOTHING);

    const retry = await ingest(env.services, { kind: 'path', path: big }, { organization: org });
    expect(retry.duplicate).toBe(false);
    expect(retry.rows).toBeGreaterThan(50_000);
  }, 120_000);

  it('fails cleanly when a worker throws mid-file, and the same pool serves the next ingest', async () => {
    const org = await env.organization('fault-worker');
    // Injected fault: the wrapper hands the real worker one task it cannot process (a negative column
    // count makes the worker's statistics builder throw). A worker heap exhaustion would be the natural
    // crash, but under resourceLimits Node 20 aborts the whole process instead of only the worker.
    const inner = env.services.workers;
    let calls = 0;
    const services = {
      ...env.services,
      workers: {
        threads: inner.threads,
        run: (task: Parameters<typeof inner.run>[0]) =>
          inner.run(++calls === 5 ? { ...task, columnCount: -1 } : task),
        sniff: (task: Parameters<typeof inner.sniff>[0]) => inner.sniff(task),
        close: () => inner.close(),
      },
    };
    const err = await failure(ingest(services, { kind: 'path', path: big }, { organization: org }));
    expect(calls).toBeGreaterThanOrEqual(5);
    expect(err.code).toBe('WORKER_FAILED');
    expect(await traces(org.id)).toEqual(NOTHING);

    const next = await ingest(services, { kind: 'path', path: big }, { organization: org });
    expect(next.rows).toBeGreaterThan(50_000);
  }, 120_000);

  it('fails cleanly when the object store cannot write, and the retry succeeds', async () => {
    const org = await env.organization('fault-store');
    // The organization's object folder is a regular file: every write under it fails (ENOTDIR).
    const orgDir = join(env.home, 'objects', 'orgs', org.id);
    await mkdir(join(env.home, 'objects', 'orgs'), { recursive: true });
    await writeFile(orgDir, 'not a folder');
    const err = await failure(
      ingest(env.services, { kind: 'path', path: 'fixtures/sample.csv' }, { organization: org }),
    );
    expect(err.code).toBe('STORAGE_ERROR');
    expect(
      (await env.admin.query('SELECT 1 FROM storage_meta.files WHERE organization_id = $1', [org.id]))
        .rowCount,
    ).toBe(0);

    await rm(orgDir);
    const retry = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/sample.csv' },
      { organization: org },
    );
    expect(retry.rows).toBe(10);
  });

  it('fails cleanly when the spool disk is full', async (ctx) => {
    const org = await env.organization('fault-spool');
    // A real full disk: a 1 MiB tmpfs as the spool folder.
    const spool = await mkdtemp(join(tmpdir(), 'ingest-spool-'));
    await mountTmpfsOrSkip(ctx, spool, '1m', () => rm(spool, { recursive: true, force: true }));
    try {
      const services = { ...env.services, spoolDir: spool };
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield Buffer.from(`a,b\n${'1,2\n'.repeat(16 * 1024)}`);
        })(),
      );
      const err = await failure(
        ingest(services, { kind: 'stream', stream: body, filename: 'upload.csv' }, { organization: org }),
      );
      expect(err.code).toBe('STORAGE_ERROR');
      expect(await readdir(spool)).toEqual([]);
      expect(await traces(org.id)).toEqual(NOTHING);
    } finally {
      await unmountTmpfs(spool);
      await rm(spool, { recursive: true, force: true });
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during `ingest` rolls back, removes temporary files and exits 130',
    async (signal) => {
      const slug = `fault-${signal.toLowerCase()}`;
      const org = await env.organization(slug);
      const child = startCli([big, '--org', slug]);
      await untilProcessing(org.id);
      child.kill(signal);
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code).toBe(130);
      expect(await traces(org.id)).toEqual(NOTHING);
      expect(await readdir(join(env.home, 'spool')).catch(() => [])).toEqual([]);
    },
    60_000,
  );

  it('recovers files left processing by a process killed with SIGKILL; the retry works', async () => {
    const slug = 'fault-kill9';
    const org = await env.organization(slug);
    const child = startCli([big, '--org', slug]);
    await untilProcessing(org.id);
    child.kill('SIGKILL');
    await once(child, 'close');
    // PostgreSQL rolled back the dead transaction; the claimed row is all that is left.
    const left = await env.admin.query(`SELECT status FROM storage_meta.files WHERE organization_id = $1`, [
      org.id,
    ]);
    expect(left.rows.map((r) => r.status)).toEqual(['processing']);
    expect((await traces(org.id)).chunks).toBe(0);

    const retry = await runCli([big, '--org', slug, '--json'], {
      DATABASE_URL: env.url,
      INGEST_HOME: env.home,
    });
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ duplicate: false });
    const rows = await env.admin.query(`SELECT status FROM storage_meta.files WHERE organization_id = $1`, [
      org.id,
    ]);
    expect(rows.rows.map((r) => r.status)).toEqual(['ready']);
  }, 120_000);

  it('turns 10 concurrent ingests of the same bytes into exactly one file, per organization', async () => {
    const one = await env.organization('fault-same');
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        ingest(env.services, { kind: 'path', path: 'fixtures/sample.csv' }, { organization: one }),
      ),
    );
    expect(new Set(results.map((r) => r.fileId)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect((await traces(one.id)).files).toBe(1);

    const orgs = await Promise.all(Array.from({ length: 10 }, (_, i) => env.organization(`fault-many-${i}`)));
    const each = await Promise.all(
      orgs.map((organization) =>
        ingest(env.services, { kind: 'path', path: 'fixtures/sample.csv' }, { organization }),
      ),
    );
    expect(each.every((r) => !r.duplicate)).toBe(true);
    for (const organization of orgs) expect((await traces(organization.id)).files).toBe(1);
  }, 60_000);
});
