import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOrganization } from '../src/db/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';

interface Report {
  ok: boolean;
  checks: { name: string; status: string; detail: string; data?: Record<string, unknown> }[];
}

let db: TestDatabase;
let home: string;
let env: Record<string, string>;

async function doctor(
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; report: Report }> {
  const run = await runCli(['doctor', '--json'], { ...env, ...extraEnv });
  expect(run.stderr).toBe('');
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

function check(report: Report, name: string) {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name} in ${JSON.stringify(report)}`);
  return found;
}

beforeAll(async () => {
  db = await createTestDatabase();
  home = await mkdtemp(join(tmpdir(), 'ingest-doctor-test-'));
  env = { DATABASE_URL: db.url, INGEST_HOME: home };
});
afterAll(async () => {
  await db?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('ingest doctor', () => {
  it('passes on a healthy installation and prints every check', async () => {
    const { code, report } = await doctor();
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'database',
      'migrations',
      'activity partitions',
      'organization totals',
      'job queue',
      'abandoned files',
      'object store',
      'spool disk',
    ]);
    expect(check(report, 'database')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^PostgreSQL \d+/),
    });
    expect(check(report, 'migrations')).toMatchObject({ status: 'ok', data: { pending: 0 } });
    expect(check(report, 'activity partitions').data?.monthsAhead).toBeGreaterThanOrEqual(11);
    // migrate() installs pg-boss's schema: an idle queue.
    expect(check(report, 'job queue')).toMatchObject({ status: 'ok', data: { depth: 0 } });
    expect(check(report, 'object store').status).toBe('ok');
    expect(check(report, 'spool disk').data?.freeBytes).toBeGreaterThan(0);
    // The probe object is gone again.
    expect(await readdir(join(home, 'objects')).catch(() => [])).toEqual([]);
    // Human output: one line per check.
    const text = await runCli(['doctor'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^status\s+check\s+detail\n/);
    expect(text.stdout.trim().split('\n')).toHaveLength(9);
  });

  it("reports abandoned files as a warning, and the totals' age", async () => {
    const org = (await ensureOrganization(db.pool, 'doctor')).organization;
    // A row left `processing` by a process that died: nobody holds its advisory lock.
    await db.pool.query(
      `INSERT INTO storage_meta.files (organization_id, sha256, size_bytes, filename, object_key, status, processed_by, started_at)
       VALUES ($1, repeat('a', 64), 10, 'x.csv', 'orgs/x/sha256/aaa', 'processing', 'gone:1', now())`,
      [org.id],
    );
    await db.pool.query('REFRESH MATERIALIZED VIEW analytics.organization_metrics');
    try {
      const { code, report } = await doctor();
      expect(code).toBe(0);
      expect(check(report, 'abandoned files')).toMatchObject({ status: 'warn', data: { abandoned: 1 } });
      expect(check(report, 'organization totals')).toMatchObject({ status: 'ok' });
      expect(check(report, 'organization totals').data?.ageSeconds).toBeLessThan(60);
    } finally {
      await db.pool.query(`DELETE FROM storage_meta.files WHERE status = 'processing'`);
    }
  });

  it('fails, with exit code 1, on pending migrations, missing partitions and an unreachable store', async () => {
    const { rows } = await db.pool.query<{ name: string }>(
      'DELETE FROM public.ingest_migrations WHERE name = (SELECT max(name) FROM public.ingest_migrations) RETURNING name, sha256, applied_at',
    );
    const removed = rows[0]!;
    const { rows: partitions } = await db.pool.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.inhparent = 'logs.activity_log'::regclass
          AND c.relname > 'activity_log_' || to_char(now(), 'YYYY_MM')`,
    );
    for (const p of partitions) await db.pool.query(`DROP TABLE ${p.name}`);
    // A port nobody listens on: the S3 endpoint is unreachable.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const port = (server.address() as { port: number }).port;
        server.close(() => resolve(port));
      });
    });
    const { code, report } = await doctor({
      INGEST_S3_BUCKET: 'doctor-bucket',
      INGEST_S3_ENDPOINT: `http://127.0.0.1:${closed}`,
      INGEST_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, 'migrations')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining(removed.name),
    });
    expect(check(report, 'activity partitions')).toMatchObject({ status: 'fail', data: { monthsAhead: 0 } });
    expect(check(report, 'object store').status).toBe('fail');
    expect(check(report, 'database').status).toBe('ok');
  }, 60_000);
});
