import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * The dashboard layer on hand-made audits whose status times are written in SQL, so every count,
 * conversion and median below is exact.
 *
 *   audit | created (2026, 12:00Z) | reached, seconds after the stage before        | status now
 *   a1    | 03-01                  | collecting 60, processing 300, ready 600,     | reviewed
 *         |                        | reviewed 3600                                 |
 *   a2    | 03-02                  | collecting 120, processing 300, ready 1200    | ready
 *   a3    | 03-03                  | collecting 180; failed 600 after creation     | failed
 *   a4    | 03-04                  | -                                             | draft
 *   a5    | 03-05                  | archived 86400 after creation                 | archived
 *   a6    | 04-02 (outside March)  | collecting 10, processing 10, ready 10,       | reviewed
 *         |                        | reviewed 10                                   |
 */

let t: TestServer;
let key: string;
let orgId: string;
const ids: Record<string, string> = {};
let fileId: string;

beforeAll(async () => {
  t = await startTestServer();
  const k = await t.key('dashboards');
  key = k.key;
  orgId = k.organization.id;
  const { rows } = await t.env.admin.query<{ name: string; id: string }>(
    `INSERT INTO audit.audits (organization_id, name, category, status, created_at, collecting_at, processing_at,
       ready_at, reviewed_at, failed_at, archived_at, updated_at)
     SELECT $1, name, 'finance', status, c, c + col, c + pro, c + rdy, c + rev, c + fai, c + arc,
       c + greatest(col, pro, rdy, rev, fai, arc, interval '0')
     FROM (VALUES
       ('a1', 'reviewed', timestamptz '2026-03-01 12:00Z', interval '60 s', interval '360 s', interval '960 s', interval '4560 s', NULL::interval, NULL::interval),
       ('a2', 'ready', '2026-03-02 12:00Z', '120 s', '420 s', '1620 s', NULL, NULL, NULL),
       ('a3', 'failed', '2026-03-03 12:00Z', '180 s', NULL, NULL, NULL, '600 s', NULL),
       ('a4', 'draft', '2026-03-04 12:00Z', NULL, NULL, NULL, NULL, NULL, NULL),
       ('a5', 'archived', '2026-03-05 12:00Z', NULL, NULL, NULL, NULL, NULL, '86400 s'),
       ('a6', 'reviewed', '2026-04-02 12:00Z', '10 s', '20 s', '30 s', '40 s', NULL, NULL)
     ) v(name, status, c, col, pro, rdy, rev, fai, arc)
     RETURNING name, id`,
    [orgId],
  );
  for (const r of rows) ids[r.name] = r.id;
  const res = await t.request('/v1/files?filename=sample.csv', key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: await readFile('fixtures/sample.csv'),
  });
  fileId = (await json(res)).fileId;
  expect((await t.request(`/v1/audits/${ids.a1}/files/${fileId}`, key, { method: 'POST' })).status).toBe(201);
});
afterAll(async () => {
  await t?.close();
});

const MARCH_FUNNEL = [
  { stage: 'draft', reached: 5, conversion: null, medianSeconds: null },
  { stage: 'collecting', reached: 3, conversion: 0.6, medianSeconds: 120 },
  { stage: 'processing', reached: 2, conversion: 0.6667, medianSeconds: 300 },
  { stage: 'ready', reached: 2, conversion: 1, medianSeconds: 900 },
  { stage: 'reviewed', reached: 1, conversion: 0.5, medianSeconds: 3600 },
  { stage: 'failed', reached: 1, conversion: 0.2, medianSeconds: 600 },
  { stage: 'archived', reached: 1, conversion: 0.2, medianSeconds: 86400 },
];

describe('analytics.get_audit_funnel', () => {
  it('counts, converts and takes the median between stages of the audits created in the range', async () => {
    const { rows } = await t.env.admin.query(
      `SELECT stage, reached::int, conversion::float8, median_seconds FROM analytics.get_audit_funnel($1, '2026-03-01', '2026-03-31')`,
      [orgId],
    );
    expect(rows).toEqual(
      MARCH_FUNNEL.map((s) => ({
        stage: s.stage,
        reached: s.reached,
        conversion: s.conversion,
        median_seconds: s.medianSeconds,
      })),
    );
  });

  it('has a row per stage, all zero, for a range without audits', async () => {
    const { rows } = await t.env.admin.query(
      `SELECT stage, reached::int, conversion, median_seconds FROM analytics.get_audit_funnel($1, '2025-01-01', '2025-01-31')`,
      [orgId],
    );
    expect(rows.map((r) => [r.stage, r.reached, r.conversion, r.median_seconds])).toEqual(
      ['draft', 'collecting', 'processing', 'ready', 'reviewed', 'failed', 'archived'].map((s) => [
        s,
        0,
        null,
        null,
      ]),
    );
  });
});

describe('GET /v1/dashboard', () => {
  it('answers totals, the storage breakdown, the funnel of the range and the recent audits', async () => {
    const res = await t.request('/v1/dashboard?from=2026-03-01&to=2026-03-31&recent=3', key);
    expect(res.status).toBe(200);
    const body = await json(res);
    const { rows } = await t.env.admin.query(
      'SELECT size_bytes::int, stored_bytes::int, charged_bytes::int, created_at FROM storage_meta.files WHERE id = $1',
      [fileId],
    );
    const file = rows[0];
    expect(file.size_bytes).toBe((await stat('fixtures/sample.csv')).size);
    expect(body.totals).toEqual({
      files: { ready: 1, failed: 0, processing: 0, archived: 0 },
      rows: 10,
      bytes: { original: file.size_bytes, stored: file.stored_bytes, archived: 0 },
      audits: {
        total: 6,
        byStatus: { draft: 1, collecting: 0, processing: 0, ready: 1, reviewed: 2, failed: 1, archived: 1 },
      },
      lastActivityAt: expect.any(String),
    });
    expect(body.storage).toEqual({
      originalBytes: file.size_bytes,
      storedBytes: file.stored_bytes,
      archivedBytes: 0,
      chargedBytes: file.charged_bytes,
      quotaBytes: null,
    });
    expect(body.funnel).toEqual({ from: '2026-03-01', to: '2026-03-31', stages: MARCH_FUNNEL });
    expect((body.recentAudits as Array<{ name: string }>).map((a) => a.name)).toEqual(['a6', 'a5', 'a4']);
    // The usage endpoint still answers the one number the quota counts.
    expect((await json(await t.request('/v1/usage', key))).usedBytes).toBe(file.charged_bytes);
  });

  it("shows another organization nothing of this one's", async () => {
    const other = await t.key('dashboards-other');
    const body = await json(await t.request('/v1/dashboard?from=2026-03-01&to=2026-03-31', other.key));
    expect(body.totals).toMatchObject({ rows: 0, audits: { total: 0 }, lastActivityAt: null });
    expect((body.funnel as { stages: Array<{ reached: number }> }).stages.every((s) => s.reached === 0)).toBe(
      true,
    );
    expect(body.recentAudits).toEqual([]);
    // Even naming this organization's id to the function, as the application role under its own context.
    const client = await t.env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('role', 'ingest_app', true), set_config('ingest.organization_id', $1, true)`,
        [other.organization.id],
      );
      const { rows } = await client.query(
        `SELECT sum(reached)::int AS n FROM analytics.get_audit_funnel($1, '2026-01-01', '2026-12-31')`,
        [orgId],
      );
      expect(rows[0]).toEqual({ n: 0 });
      const { rows: totals } = await client.query(
        'SELECT audits::int, rows::int FROM analytics.organization_totals($1)',
        [orgId],
      );
      expect(totals[0]).toEqual({ audits: 0, rows: 0 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('refuses a range that ends before it starts', async () => {
    const res = await t.request('/v1/dashboard?from=2026-03-31&to=2026-03-01', key);
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe('INVALID_OPTION');
  });
});

describe('analytics.organization_metrics', () => {
  it('keeps audits by status, files, rows, bytes and last activity per organization once refreshed', async () => {
    await t.env.admin.query('REFRESH MATERIALIZED VIEW CONCURRENTLY analytics.organization_metrics');
    const { rows } = await t.env.admin.query(
      `SELECT ready_files::int, rows::int, audits::int, audits_reviewed::int, audits_draft::int, audits_failed::int,
         original_bytes = (SELECT size_bytes FROM storage_meta.files WHERE id = $2) AS original_ok,
         last_activity_at IS NOT NULL AS active
       FROM analytics.organization_metrics WHERE organization_id = $1`,
      [orgId, fileId],
    );
    expect(rows).toEqual([
      {
        ready_files: 1,
        rows: 10,
        audits: 6,
        audits_reviewed: 2,
        audits_draft: 1,
        audits_failed: 1,
        original_ok: true,
        active: true,
      },
    ]);
  });
});

describe('GET /v1/audits/:id/metrics', () => {
  it("answers the audit's totals, seconds per stage and its files' column counts", async () => {
    const res = await t.request(`/v1/audits/${ids.a1}/metrics`, key);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      auditId: ids.a1,
      name: 'a1',
      status: 'reviewed',
      totals: { files: 1, readyFiles: 1, rows: 10, rejectedRows: 0 },
      stageSeconds: {
        'draft->collecting': 60,
        'collecting->processing': 300,
        'processing->ready': 600,
        'ready->reviewed': 3600,
      },
    });
    const { rows: profile } = await t.env.admin.query(
      `SELECT column_name AS column, 1 AS files, nulls::int, non_nulls::int AS "nonNulls"
       FROM analytics.file_profiles WHERE file_id = $1 ORDER BY column_index`,
      [fileId],
    );
    expect(profile).toHaveLength(8);
    expect(body.columns).toEqual(profile);
    expect((body.columns as Array<{ column: string }>)[0]).toEqual({
      column: 'order_id',
      files: 1,
      nulls: 0,
      nonNulls: 10,
    });
    expect(
      (await t.request(`/v1/audits/${ids.a2}/metrics`, (await t.key('dashboards-other')).key)).status,
    ).toBe(404);
  });
});
