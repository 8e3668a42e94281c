import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pendingMigrations } from '../src/db/migrate.js';
import { isIngestError } from '../src/errors.js';
import { assertPoolReleased, createTestDatabase, type TestDatabase } from './support/database.js';

describe('migrate on an empty database', () => {
  let db: TestDatabase;
  let second: pg.Pool;
  let files: string[];

  beforeAll(async () => {
    db = await createTestDatabase({ empty: true });
    second = new pg.Pool({ connectionString: db.url, max: 2 });
    files = await pendingMigrations(db.pool);
  });

  afterAll(async () => {
    await second?.end();
    await db?.drop();
  });

  it('lists every migration file as pending before the first run', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files).toEqual([...files].sort());
    expect(files.every((f) => f.endsWith('.sql'))).toBe(true);
  });

  it('applies each file once when two processes migrate at the same time', async () => {
    const [a, b] = await Promise.all([migrate(db.pool), migrate(second)]);
    // The advisory lock serializes the runs: one applies everything, the other finds nothing left.
    expect([...a.applied, ...b.applied]).toEqual(files);
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, files.length]);
    const recorded = await db.pool.query<{ name: string }>(
      'SELECT name FROM public.ingest_migrations ORDER BY name',
    );
    expect(recorded.rows.map((r) => r.name)).toEqual(files);
    assertPoolReleased(db.pool);
    assertPoolReleased(second);
  });

  it('applies nothing on a second run', async () => {
    expect(await migrate(db.pool)).toEqual({ applied: [] });
    expect(await pendingMigrations(db.pool)).toEqual([]);
    assertPoolReleased(db.pool);
  });

  it('creates every schema and table', async () => {
    const schemas = await db.pool.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs') ORDER BY 1",
    );
    expect(schemas.rows.map((r) => r.nspname)).toEqual([
      'analytics',
      'audit',
      'logs',
      'storage_meta',
      'tenant',
    ]);
    const relations = [
      'public.ingest_migrations',
      'tenant.organizations',
      'tenant.organization_members',
      'tenant.api_keys',
      'tenant.rate_limit_windows',
      'audit.audits',
      'storage_meta.files',
      'storage_meta.file_chunks',
      'storage_meta.rejected_rows',
      'analytics.metrics',
      'analytics.organization_metrics',
      'analytics.current_organization_metrics',
      'logs.activity_log',
    ];
    const found = await db.pool.query<{ name: string; oid: string | null }>(
      'SELECT name, to_regclass(name)::text AS oid FROM unnest($1::text[]) AS name',
      [relations],
    );
    expect(found.rows.filter((r) => r.oid === null).map((r) => r.name)).toEqual([]);
  });

  it('hash-partitions file_chunks 16 ways with payload stored EXTERNAL on every partition', async () => {
    const partitions = await db.pool.query<{ relname: string; attstorage: string }>(
      `SELECT c.relname, a.attstorage
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'payload'
        WHERE i.inhparent = 'storage_meta.file_chunks'::regclass`,
    );
    expect(partitions.rowCount).toBe(16);
    expect(new Set(partitions.rows.map((r) => r.attstorage))).toEqual(new Set(['e']));
  });

  it('has activity_log partitions for this month and the next', async () => {
    const result = await db.pool.query<{ missing: string[] }>(
      `SELECT array_agg(expected) FILTER (WHERE to_regclass('logs.' || expected) IS NULL) AS missing
         FROM (SELECT format('activity_log_%s', to_char(date_trunc('month', now()) + make_interval(months => m), 'YYYY_MM')) AS expected
                 FROM generate_series(0, 1) AS m) months`,
    );
    expect(result.rows[0]?.missing).toBeNull();
    const parent = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'logs.activity_log'::regclass",
    );
    expect(parent.rows[0]?.n).toBeGreaterThanOrEqual(13);
  });

  it('refuses to run when an applied file was changed, naming the file', async () => {
    const first = files[0]!;
    const original = await db.pool.query<{ sha256: string }>(
      'SELECT sha256 FROM public.ingest_migrations WHERE name = $1',
      [first],
    );
    await db.pool.query('UPDATE public.ingest_migrations SET sha256 = $2 WHERE name = $1', [
      first,
      '0'.repeat(64),
    ]);
    try {
      const error = await migrate(db.pool).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isIngestError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', context: { file: first } });
      expect((error as Error).message).toContain(first);
      assertPoolReleased(db.pool);
    } finally {
      await db.pool.query('UPDATE public.ingest_migrations SET sha256 = $2 WHERE name = $1', [
        first,
        original.rows[0]!.sha256,
      ]);
    }
  });
});

describe('the migrated template', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('clones with every migration already applied', async () => {
    expect(await pendingMigrations(db.pool)).toEqual([]);
    expect(await migrate(db.pool)).toEqual({ applied: [] });
    assertPoolReleased(db.pool);
  });
});
