import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKeyById } from '../src/api-keys/index.js';
import { enterTenant } from '../src/db/index.js';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * ingest_app, acting for its own organization (so row-level security lets every statement below reach
 * the organization's own rows), may do what the application does and nothing else: every statement
 * here is one the code never runs, and PostgreSQL refuses it for lack of privilege.
 */

let t: TestServer;
let orgId: string;
let fileId: string;
let liveKeyId: string;
let revokedKeyId: string;

beforeAll(async () => {
  t = await startTestServer();
  const live = await t.key('grants-a', { rateLimitPerMinute: 10 });
  orgId = live.organization.id;
  liveKeyId = live.id;
  await t.env.admin.query('UPDATE tenant.organizations SET storage_quota_bytes = $2 WHERE id = $1', [
    orgId,
    64 * 1024 * 1024,
  ]);
  // A file with chunks, metrics, a rejected row, an audit, activity-log entries and a rate-limit window.
  const res = await t.request('/v1/files?filename=a.csv&audit=q1&max_errors=5', live.key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: await readFile('fixtures/field-count-mismatch.csv'),
  });
  expect(res.status).toBe(201);
  fileId = (await json(res)).fileId;
  const revoked = await t.key(live.organization, { scopes: ['files:read'], rateLimitPerMinute: 5 });
  revokedKeyId = revoked.id;
  await revokeApiKeyById(t.env.services.pool, revoked.id, 'test');
});
afterAll(async () => {
  await t?.close();
});

/** Runs `fn` in a transaction as ingest_app acting for the organization, always rolled back. */
async function asOwnTenant<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await t.env.services.pool.connect();
  try {
    await client.query('BEGIN');
    await enterTenant(client, orgId);
    return await fn(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/** What PostgreSQL answers to `sql` as ingest_app acting for the organization: 'ok' or the error. */
async function attempt(sql: string, values: unknown[] = []): Promise<string> {
  return asOwnTenant(async (client) => {
    try {
      await client.query(sql, values);
      return 'ok';
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return `${e.code}: ${e.message}`;
    }
  });
}

/**
 * Expects a refusal for lack of privilege: SQLSTATE 42501 with "permission denied", which tells it
 * apart from a row-level security violation (also 42501, "violates row-level security policy").
 */
async function expectDenied(sql: string, values: unknown[] = []): Promise<void> {
  expect(await attempt(sql, values), sql).toMatch(/^42501: permission denied/);
}

describe('ingest_app with its own organization set', () => {
  it('cannot lift its quota or change, create or delete its organization', async () => {
    await expectDenied('UPDATE tenant.organizations SET storage_quota_bytes = NULL WHERE id = $1', [orgId]);
    await expectDenied("UPDATE tenant.organizations SET name = 'x', settings = '{}' WHERE id = $1", [orgId]);
    // Its own id passes the row-level policy: only the privilege stands in the way.
    await expectDenied("INSERT INTO tenant.organizations (id, slug, name) VALUES ($1, 'grants-a2', 'x')", [
      orgId,
    ]);
    await expectDenied('DELETE FROM tenant.organizations WHERE id = $1', [orgId]);
    // Not even a row lock on it (which needs UPDATE privilege): quota reservations use an advisory lock.
    await expectDenied('SELECT 1 FROM tenant.organizations WHERE id = $1 FOR NO KEY UPDATE', [orgId]);
    const { rows } = await t.env.admin.query(
      'SELECT storage_quota_bytes FROM tenant.organizations WHERE id = $1',
      [orgId],
    );
    expect(Number(rows[0].storage_quota_bytes)).toBe(64 * 1024 * 1024);
  });

  it('cannot un-revoke a key, raise its scopes or rate limit, mint or delete keys, or read their hashes', async () => {
    await expectDenied('UPDATE tenant.api_keys SET revoked_at = NULL WHERE id = $1', [revokedKeyId]);
    await expectDenied(
      "UPDATE tenant.api_keys SET scopes = '{files:read,files:write,files:delete}' WHERE id = $1",
      [revokedKeyId],
    );
    await expectDenied('UPDATE tenant.api_keys SET rate_limit_per_minute = 1000000 WHERE id = $1', [
      liveKeyId,
    ]);
    await expectDenied("UPDATE tenant.api_keys SET name = 'x', prefix = 'x' WHERE id = $1", [liveKeyId]);
    await expectDenied(
      `INSERT INTO tenant.api_keys (organization_id, prefix, secret_sha256, scopes)
       VALUES ($1, 'forged', decode(repeat('00', 32), 'hex'), '{files:read,files:write,files:delete}')`,
      [orgId],
    );
    await expectDenied('DELETE FROM tenant.api_keys WHERE id = $1', [liveKeyId]);
    await expectDenied('SELECT secret_sha256 FROM tenant.api_keys');
    // What the application does: stamp last_used_at (countKeyRequests), list keys without secrets.
    expect(await attempt('UPDATE tenant.api_keys SET last_used_at = now() WHERE id = $1', [liveKeyId])).toBe(
      'ok',
    );
    expect(await attempt('SELECT id, prefix, scopes, revoked_at FROM tenant.api_keys')).toBe('ok');
    const { rows } = await t.env.admin.query('SELECT revoked_at FROM tenant.api_keys WHERE id = $1', [
      revokedKeyId,
    ]);
    expect(rows[0].revoked_at).not.toBeNull();
  });

  it('can only add to its activity log: no reading, rewriting or deleting it', async () => {
    await expectDenied('DELETE FROM logs.activity_log');
    await expectDenied("UPDATE logs.activity_log SET action = 'nothing'");
    await expectDenied('SELECT * FROM logs.activity_log');
    const { rows } = await t.env.admin.query(
      'SELECT count(*)::int AS n FROM logs.activity_log WHERE organization_id = $1',
      [orgId],
    );
    expect(rows[0].n).toBeGreaterThan(0);
    expect(
      await attempt(
        `INSERT INTO logs.activity_log (organization_id, actor, action, target_type) VALUES ($1, 'test', 'probe', 'file')`,
        [orgId],
      ),
    ).toBe('ok');
  });

  it('cannot clear its rate-limit windows: the current window can be neither deleted nor lowered', async () => {
    // A past window, as the login role: pruning it is what the application does, and may.
    await t.env.admin.query(
      `INSERT INTO tenant.rate_limit_windows (organization_id, api_key_id, window_start, request_count)
       VALUES ($1, $2, date_trunc('minute', now()) - interval '1 hour', 7)`,
      [orgId, liveKeyId],
    );
    const outcome = await asOwnTenant(async (client) => {
      // The current window, counted as countKeyRequests counts (now() is the transaction's time).
      await client.query(
        `INSERT INTO tenant.rate_limit_windows AS w (organization_id, api_key_id, window_start, request_count)
         VALUES ($1, $2, date_trunc('minute', now()), 9)
         ON CONFLICT (organization_id, api_key_id, window_start) DO UPDATE SET request_count = w.request_count + 9`,
        [orgId, liveKeyId],
      );
      const deleted = await client.query<{ window_start: Date }>(
        'DELETE FROM tenant.rate_limit_windows RETURNING window_start',
      );
      const left = await client.query<{ n: number }>(
        `SELECT request_count AS n FROM tenant.rate_limit_windows WHERE window_start = date_trunc('minute', now())`,
      );
      const lowered = await client
        .query('UPDATE tenant.rate_limit_windows SET request_count = 0')
        .then(() => 'ok')
        .catch((err: { code?: string; message?: string }) => `${err.code}: ${err.message}`);
      return { deleted: deleted.rowCount, left: left.rows[0]?.n, lowered };
    });
    expect(outcome.deleted).toBeGreaterThanOrEqual(1);
    expect(outcome.left).toBeGreaterThanOrEqual(9);
    expect(outcome.lowered).toMatch(/^42501: permission denied/);
    await expectDenied("UPDATE tenant.rate_limit_windows SET window_start = now() + interval '1 day'");
    await expectDenied('UPDATE tenant.rate_limit_windows SET api_key_id = organization_id');
  });

  it('cannot change the columns of files, chunks, metrics and rejected rows that the code never updates', async () => {
    await expectDenied("UPDATE storage_meta.files SET sha256 = repeat('0', 64) WHERE id = $1", [fileId]);
    await expectDenied('UPDATE storage_meta.files SET organization_id = organization_id WHERE id = $1', [
      fileId,
    ]);
    await expectDenied('UPDATE storage_meta.files SET id = gen_random_uuid() WHERE id = $1', [fileId]);
    await expectDenied('UPDATE storage_meta.files SET created_at = now() WHERE id = $1', [fileId]);
    await expectDenied('UPDATE storage_meta.file_chunks SET payload = $1', [Buffer.from('x')]);
    await expectDenied('UPDATE storage_meta.file_chunks SET xxh64 = 0, row_count = 0, raw_bytes = 0');
    await expectDenied('UPDATE analytics.metrics SET numeric_value = 0');
    await expectDenied("UPDATE analytics.metrics SET metric_type = 'x', text_value = 'x'");
    await expectDenied("UPDATE storage_meta.rejected_rows SET raw = 'x'");
    await expectDenied("UPDATE audit.audits SET name = 'renamed'");
    // Migration 0060: who created an audit, when, and the times and history the trigger keeps.
    await expectDenied("UPDATE audit.audits SET created_by = 'x', created_by_api_key_id = NULL");
    await expectDenied('UPDATE audit.audits SET created_at = now(), updated_at = now()');
    await expectDenied("UPDATE audit.audits SET ready_at = now(), status_history = '[]'");
    await expectDenied('UPDATE audit.audit_files SET attached_at = now()');
    await expectDenied(
      "INSERT INTO audit.audits (organization_id, name, created_at, ready_at) VALUES ($1, 'x', now(), now())",
      [orgId],
    );
    // Columns the code leaves to their defaults on insert.
    await expectDenied(
      "INSERT INTO analytics.metrics (organization_id, file_id, metric_type, created_at) VALUES ($1, $2, 'x', now())",
      [orgId, fileId],
    );
    await expectDenied(
      `INSERT INTO storage_meta.files (organization_id, id, sha256, size_bytes, filename, object_key, status)
       VALUES ($1, gen_random_uuid(), repeat('1', 64), 0, 'x', 'x', 'ready')`,
      [orgId],
    );
  });

  it('cannot delete from the tables the code never deletes from', async () => {
    await expectDenied('DELETE FROM analytics.metrics');
    await expectDenied('DELETE FROM storage_meta.rejected_rows');
    await expectDenied('DELETE FROM audit.audits');
    await expectDenied('DELETE FROM tenant.organization_members');
    await expectDenied('SELECT * FROM tenant.organization_members');
    await expectDenied(
      "INSERT INTO tenant.organization_members (organization_id, member_email, role) VALUES ($1, 'x@y.z', 'owner')",
      [orgId],
    );
  });

  it('cannot truncate any table, touch a sequence, a partition or the cross-organization totals', async () => {
    const { rows: relations } = await t.env.admin.query<{ name: string; partition: boolean }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relispartition AS partition
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs') AND c.relkind IN ('r', 'p')
       ORDER BY 1`,
    );
    expect(relations.length).toBeGreaterThan(20);
    for (const { name } of relations) await expectDenied(`TRUNCATE ${name}`);
    // Partitions are reached through their parent only.
    for (const { name } of relations.filter((r) => r.partition)) await expectDenied(`SELECT 1 FROM ${name}`);
    const { rows: sequences } = await t.env.admin.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs') AND c.relkind = 'S'`,
    );
    expect(sequences.length).toBeGreaterThan(0);
    for (const { name } of sequences) {
      await expectDenied('SELECT setval($1::regclass, 1)', [name]);
      await expectDenied('SELECT nextval($1::regclass)', [name]);
    }
    await expectDenied('SELECT * FROM analytics.organization_metrics');
    await expect(attempt('REFRESH MATERIALIZED VIEW analytics.organization_metrics')).resolves.toMatch(
      /^42501: must be owner/,
    );
    await expectDenied('SELECT logs.ensure_activity_partitions(1000)');
  });

  it('still does what the application does: the upload above went through every write path', async () => {
    const { rows } = await t.env.admin.query(
      `SELECT (SELECT status FROM storage_meta.files WHERE id = $1) AS status,
              (SELECT count(*)::int FROM storage_meta.file_chunks WHERE file_id = $1) AS chunks,
              (SELECT count(*)::int FROM analytics.metrics WHERE file_id = $1) AS metrics,
              (SELECT count(*)::int FROM storage_meta.rejected_rows WHERE file_id = $1) AS rejected,
              (SELECT count(*)::int FROM audit.audits WHERE organization_id = $2) AS audits,
              (SELECT count(*)::int FROM tenant.rate_limit_windows WHERE api_key_id = $3) AS windows,
              (SELECT last_used_at IS NOT NULL FROM tenant.api_keys WHERE id = $3) AS used`,
      [fileId, orgId, liveKeyId],
    );
    expect(rows[0]).toMatchObject({ status: 'ready', rejected: 1, audits: 1, used: true });
    const { rows: links } = await t.env.admin.query(
      'SELECT count(*)::int AS n FROM audit.audit_files WHERE organization_id = $1 AND file_id = $2',
      [orgId, fileId],
    );
    expect(links[0]).toEqual({ n: 1 });
    expect(rows[0].chunks).toBeGreaterThan(0);
    expect(rows[0].metrics).toBeGreaterThan(0);
    expect(rows[0].windows).toBeGreaterThan(0);
  });
});

describe('operator commands, as the login role', () => {
  it('create, list and revoke keys, set quotas, ingest, archive, restore, delete and remove an organization', async () => {
    const env = { DATABASE_URL: t.env.url, INGEST_HOME: t.env.home };
    const cli = async (...args: string[]) => {
      const run = await runCli(args, env);
      expect(run.code, `ingest ${args.join(' ')}: ${run.stderr}`).toBe(0);
      return run.stdout;
    };
    await cli('org', 'create', 'grants-cli', '--quota', '1MB', '--json');
    const created = JSON.parse(
      await cli('key', 'create', '--org', 'grants-cli', '--scopes', 'files:read,files:write', '--json'),
    );
    expect((await t.request('/v1/usage', created.key)).status).toBe(200);
    expect(await cli('key', 'list', '--org', 'grants-cli', '--json')).toContain(created.id);

    // With a quota: the claim reserves storage under the organization's advisory lock.
    const ingested = JSON.parse(await cli('fixtures/sample.csv', '--org', 'grants-cli', '--json'));
    expect(await cli('files', '--org', 'grants-cli')).toContain(ingested.fileId);
    expect(await cli('metrics', ingested.fileId)).toContain('row_count');
    await cli('export', ingested.fileId, '-o', join(t.env.home, 'out.csv'));
    expect(
      JSON.parse(await cli('archive', '--org', 'grants-cli', '--older-than', '0s', '--json')).archived,
    ).toHaveLength(1);
    expect(JSON.parse(await cli('restore', ingested.fileId, '--json'))).toMatchObject({ restored: true });
    await cli('org', 'stats', '--refresh', '--json');

    expect(JSON.parse(await cli('key', 'revoke', created.id, '--json')).revokedAt).not.toBeNull();
    expect((await t.request('/v1/usage', created.key)).status).toBe(401);
    expect(JSON.parse(await cli('delete', ingested.fileId, '--json'))).toMatchObject({
      fileId: ingested.fileId,
    });
    await cli('org', 'delete', 'grants-cli', '--yes', '--json');
    const { rows } = await t.env.admin.query("SELECT 1 FROM tenant.organizations WHERE slug = 'grants-cli'");
    expect(rows).toHaveLength(0);
  });
});
