import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  deleteAnalysisResults,
  ensureOrganization,
  flushStatementTimings,
  getAnalysisResult,
  listPartitionSizes,
  listSlowQueries,
  migrate,
  purgeExpiredAnalysisResults,
  putAnalysisResult,
  withTenant,
} from '../src/db/index.js';
import { openDatabase, removeEmbedded } from '../src/embedded-postgres/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

let db: TestDatabase;
let orgA: string;
let orgB: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orgA = (await ensureOrganization(db.pool, 'monitor-a')).organization.id;
  orgB = (await ensureOrganization(db.pool, 'monitor-b')).organization.id;
});
afterAll(async () => {
  await db?.drop();
});

describe('logs.slow_queries', () => {
  it("lists statements slower than the threshold, from pg_stat_statements or else ingest's own timings", async () => {
    const { rows } = await db.pool.query<{ preload: string }>(
      `SELECT current_setting('shared_preload_libraries') AS preload`,
    );
    const collecting = rows[0]!.preload.includes('pg_stat_statements');
    const pool = createPool(db.url, { max: 2, slowStatementMs: 50 });
    try {
      // Both ways a statement runs: pool.query (callback style inside pg) and a checked-out client.
      await pool.query(`SELECT pg_sleep(0.08), 'secret-literal' AS masked`);
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_sleep($1)', [0.08]);
        await client.query('SELECT 1'); // fast: not recorded
      } finally {
        client.release();
      }
      await flushStatementTimings(pool);
    } finally {
      await pool.end();
    }
    const slow = await listSlowQueries(db.pool, 100);
    expect(slow.length).toBeGreaterThan(0);
    expect(new Set(slow.map((q) => q.source))).toEqual(
      new Set([collecting ? 'pg_stat_statements' : 'ingest']),
    );
    const sleeps = slow.filter((q) => q.query.includes('pg_sleep'));
    expect(sleeps.length).toBe(2);
    for (const q of sleeps) {
      expect(q.calls).toBe(1);
      expect(q.maxMs).toBeGreaterThanOrEqual(50);
      expect(q.meanMs).toBeGreaterThanOrEqual(50);
    }
    // Literals never reach the table: only the statement's shape.
    expect(slow.some((q) => q.query.includes('secret-literal'))).toBe(false);
    if (!collecting) expect(slow.some((q) => q.query === 'SELECT 1')).toBe(false);
  });

  it('is unreadable to the application role', async () => {
    const denied = await withTenant(db.pool, orgA, (client) =>
      client.query('SELECT * FROM logs.slow_queries').then(
        () => 'read',
        (err: { code?: string }) => err.code,
      ),
    ).catch((err: { code?: string }) => err.code);
    expect(denied).toBe('42501');
  });
});

describe('monitoring.partition_sizes', () => {
  it('lists the monthly activity-log partitions and the hash partitions of chunks, with sizes', async () => {
    const sizes = await listPartitionSizes(db.pool);
    const parents = new Set(sizes.map((s) => s.parent));
    expect(parents).toEqual(new Set(['logs.activity_log', 'storage_meta.file_chunks']));
    expect(sizes.filter((s) => s.parent === 'storage_meta.file_chunks')).toHaveLength(16);
    expect(sizes.filter((s) => s.parent === 'logs.activity_log').length).toBeGreaterThanOrEqual(13);
    for (const s of sizes) expect(s.totalBytes).toBeGreaterThanOrEqual(0);
    expect(sizes.find((s) => s.parent === 'logs.activity_log')?.bounds).toMatch(/^FOR VALUES FROM/);
  });
});

describe('cache.analysis_results', () => {
  it('keeps an answer per organization with hit counts, under row-level security, until it expires', async () => {
    const put = await withTenant(db.pool, orgA, (c) =>
      putAnalysisResult(c, 'audit:q4:top', { top: [1, 2, 3] }, 3600),
    );
    expect(put).toMatchObject({ key: 'audit:q4:top', result: { top: [1, 2, 3] }, hitCount: 0 });
    expect(put.expiresAt.getTime() - put.computedAt.getTime()).toBe(3600_000);

    const first = await withTenant(db.pool, orgA, (c) => getAnalysisResult(c, 'audit:q4:top'));
    const second = await withTenant(db.pool, orgA, (c) => getAnalysisResult(c, 'audit:q4:top'));
    expect(first?.hitCount).toBe(1);
    expect(second).toMatchObject({ hitCount: 2, result: { top: [1, 2, 3] } });

    // Another organization neither sees it nor can overwrite it: the same key is its own.
    expect(await withTenant(db.pool, orgB, (c) => getAnalysisResult(c, 'audit:q4:top'))).toBeNull();
    await withTenant(db.pool, orgB, (c) => putAnalysisResult(c, 'audit:q4:top', { other: true }, 3600));
    expect(await withTenant(db.pool, orgA, (c) => getAnalysisResult(c, 'audit:q4:top'))).toMatchObject({
      result: { top: [1, 2, 3] },
      hitCount: 3,
    });
    const forged = await withTenant(db.pool, orgA, (c) =>
      c
        .query(
          `INSERT INTO cache.analysis_results (organization_id, cache_key, result, expires_at)
           VALUES ($1, 'forged', '{}', now() + interval '1 hour')`,
          [orgB],
        )
        .then(
          () => 'inserted',
          (err: { code?: string }) => err.code,
        ),
    ).catch((err: { code?: string }) => err.code);
    expect(forged).toBe('42501');

    // Replacing resets the count; an expired answer is not served, and the sweep removes it.
    await withTenant(db.pool, orgA, (c) => putAnalysisResult(c, 'audit:q4:top', { top: [4] }, 3600));
    expect((await withTenant(db.pool, orgA, (c) => getAnalysisResult(c, 'audit:q4:top')))?.hitCount).toBe(1);
    await withTenant(db.pool, orgA, (c) => putAnalysisResult(c, 'audit:q3:top', { top: [] }, 0));
    expect(await withTenant(db.pool, orgA, (c) => getAnalysisResult(c, 'audit:q3:top'))).toBeNull();
    expect(await purgeExpiredAnalysisResults(db.pool)).toBe(1);

    // Invalidation by prefix, own organization only.
    expect(await withTenant(db.pool, orgA, (c) => deleteAnalysisResults(c, 'audit:q4:'))).toBe(1);
    const { rows } = await db.pool.query(
      'SELECT organization_id, cache_key FROM cache.analysis_results ORDER BY 1',
    );
    expect(rows).toEqual([{ organization_id: orgB, cache_key: 'audit:q4:top' }]);
  });
});

// The embedded server preloads pg_stat_statements (its binaries ship it), so there the view reads it.
describe('embedded PostgreSQL', () => {
  let home: string | undefined;
  afterAll(async () => {
    if (!home) return;
    await removeEmbedded(home);
    await rm(home, { recursive: true, force: true });
  });

  it('collects with pg_stat_statements', async () => {
    home = await mkdtemp(join(tmpdir(), 'ingest-embedded-monitoring-'));
    const handle = await openDatabase({ home });
    const pool = createPool(handle.connectionString, { max: 2 });
    try {
      await migrate(pool);
      await pool.query('SELECT pg_sleep(0.01)');
      const slow = await listSlowQueries(pool, 100);
      expect(slow[0]?.source).toBe('pg_stat_statements');
      expect(slow.some((q) => q.query.includes('pg_sleep'))).toBe(true);
    } finally {
      await pool.end();
      await handle.release();
    }
  }, 120_000);
});
