import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkWriter, enterTenant } from '../src/db/index.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
interface Tenant {
  id: string;
  key: string;
  fileId: string;
}
let a: Tenant;
let b: Tenant;

/** An organization with a file (in an audit, with a rejected row), a member, and a used API key. */
async function seedTenant(slug: string, csv: Buffer): Promise<Tenant> {
  const { key, organization } = await t.key(slug);
  const res = await t.request(`/v1/files?filename=${slug}.csv&audit=a1&max_errors=5`, key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: csv,
  });
  expect(res.status).toBe(201);
  const result = await json(res);
  expect(result.rejectedRows).toBe(1);
  await t.env.admin.query(
    `INSERT INTO tenant.organization_members (organization_id, member_email, role) VALUES ($1, $2, 'owner')`,
    [organization.id, `owner@${slug}.test`],
  );
  return { id: organization.id, key, fileId: result.fileId };
}

beforeAll(async () => {
  t = await startTestServer();
  const csv = await readFile('fixtures/field-count-mismatch.csv');
  a = await seedTenant('tenant-a', csv);
  // The same bytes in B: dedup never crosses organizations, so B gets a file of its own.
  b = await seedTenant('tenant-b', csv);
  await t.env.admin.query('REFRESH MATERIALIZED VIEW analytics.organization_metrics');
});
afterAll(async () => {
  await t?.close();
});

describe('HTTP isolation', () => {
  it("answers A's key with 404 for B's file on every endpoint, exactly as for a file that never existed", async () => {
    const never = '00000000-0000-4000-8000-000000000000';
    const endpoints: Array<[string, string]> = [
      ['GET', '/v1/files/:id'],
      ['GET', '/v1/files/:id/metrics'],
      ['GET', '/v1/files/:id/content'],
      ['GET', '/v1/files/:id/content?normalize=true'],
      ['DELETE', '/v1/files/:id'],
    ];
    for (const [method, path] of endpoints) {
      const theirs = await t.request(path.replace(':id', b.fileId), a.key, { method });
      const missing = await t.request(path.replace(':id', never), a.key, { method });
      expect(theirs.status, `${method} ${path}`).toBe(404);
      expect(missing.status).toBe(404);
      const theirsBody = JSON.stringify(await json(theirs)).replaceAll(b.fileId, 'ID');
      const missingBody = JSON.stringify(await json(missing)).replaceAll(never, 'ID');
      expect(theirsBody).toBe(missingBody);
    }
    // B's file is untouched, and A's listing and usage know nothing of it.
    expect((await t.request(`/v1/files/${b.fileId}`, b.key)).status).toBe(200);
    const listed = await json(await t.request('/v1/files', a.key));
    expect(listed.files.map((f: { fileId: string }) => f.fileId)).toEqual([a.fileId]);
    const usage = await json(await t.request('/v1/usage', a.key));
    // Usage is what A's own file stores (original, chunks, metric and rejected rows), nothing of B's.
    const { rows } = await t.env.admin.query<{ charged: string }>(
      'SELECT charged_bytes AS charged FROM storage_meta.files WHERE id = $1',
      [a.fileId],
    );
    const own = await json(await t.request(`/v1/files/${a.fileId}`, a.key));
    expect(Number(rows[0]!.charged)).toBeGreaterThan(own.bytes);
    expect(usage.usedBytes).toBe(Number(rows[0]!.charged));
  });
});

describe('row-level security', () => {
  /** Runs `fn` as ingest_app acting for A, rolled back afterwards. */
  async function asTenantA<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await t.env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, a.id);
      return await fn(client);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  it('shows ingest_app none of B rows in any relation of the tenant schemas, found from the catalog', async () => {
    const { rows: relations } = await t.env.admin.query<{
      name: string;
      relkind: string;
      rls: boolean;
      is_partition: boolean;
      policies: number;
      org_column: string | null;
    }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS relkind, c.relrowsecurity AS rls,
              c.relispartition AS is_partition,
              (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies,
              (SELECT a.attname::text FROM pg_attribute a
                WHERE a.attrelid = c.oid AND NOT a.attisdropped AND a.attnum > 0
                  AND (a.attname = 'organization_id' OR (c.relname = 'organizations' AND n.nspname = 'tenant' AND a.attname = 'id'))
                ORDER BY a.attname = 'organization_id' DESC LIMIT 1) AS org_column
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs')
         AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       ORDER BY 1`,
    );
    expect(relations.length).toBeGreaterThan(10);

    // Every table that is not a partition has RLS on and a policy: a new table without one fails here.
    const tables = relations.filter((r) => ['r', 'p'].includes(r.relkind) && !r.is_partition);
    for (const table of tables) {
      expect({ table: table.name, rls: table.rls, policy: table.policies > 0 }).toEqual({
        table: table.name,
        rls: true,
        policy: true,
      });
    }

    // B has rows in every table this suite seeds, so "none visible" below means something.
    const seeded = [
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
      'logs.activity_log',
    ];
    for (const name of seeded) {
      const column = name === 'tenant.organizations' ? 'id' : 'organization_id';
      const { rows } = await t.env.admin.query(
        `SELECT count(*)::int AS n FROM ${name} WHERE ${column} = $1`,
        [b.id],
      );
      expect(rows[0].n, `${name} has rows of B`).toBeGreaterThan(0);
    }

    // A plain SELECT with no WHERE, as ingest_app acting for A, on every relation (partitions and views
    // included): either refused outright, or only A's rows.
    const outcomes: Record<string, string> = {};
    await asTenantA(async (client) => {
      for (const relation of relations) {
        await client.query('SAVEPOINT probe');
        try {
          const { rows } = await client.query(`SELECT * FROM ${relation.name}`);
          if (!relation.org_column) {
            outcomes[relation.name] = rows.length === 0 ? 'empty' : 'rows without an organization column';
          } else {
            const orgs = new Set(rows.map((r) => r[relation.org_column!]));
            outcomes[relation.name] = orgs.has(b.id)
              ? "B's rows visible"
              : [...orgs].every((o) => o === a.id)
                ? 'only A'
                : 'other rows visible';
          }
          await client.query('RELEASE SAVEPOINT probe');
        } catch (err) {
          await client.query('ROLLBACK TO SAVEPOINT probe');
          outcomes[relation.name] =
            (err as { code?: string }).code === '42501' ? 'permission denied' : String(err);
        }
      }
    });
    if (process.env.DEBUG_TENANCY) console.log(outcomes);
    for (const [name, outcome] of Object.entries(outcomes)) {
      expect(['only A', 'empty', 'permission denied'], `${name}: ${outcome}`).toContain(outcome);
    }
    // A sees its own rows through the parent tables: the probe is not vacuously empty.
    expect(outcomes['storage_meta.files']).toBe('only A');
    expect(outcomes['storage_meta.file_chunks']).toBe('only A');
  });

  it('computes storage usage only for the organization the transaction acts for', async () => {
    const [ownUsage, otherUsage] = await asTenantA(async (client) => {
      const own = await client.query('SELECT tenant.calculate_storage_usage($1) AS n', [a.id]);
      const other = await client.query('SELECT tenant.calculate_storage_usage($1) AS n', [b.id]);
      return [Number(own.rows[0].n), Number(other.rows[0].n)];
    });
    expect(ownUsage).toBeGreaterThan(0);
    expect(otherUsage).toBe(0);
  });

  it('runs tenant queries as a role that owns nothing, is no superuser and does not bypass RLS', async () => {
    const { rows } = await t.env.admin.query(
      `SELECT rolsuper, rolbypassrls,
         (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relowner = r.oid AND n.nspname IN ('tenant','audit','storage_meta','analytics','logs')) AS owned
       FROM pg_roles r WHERE rolname = 'ingest_app'`,
    );
    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, owned: 0 });
  });
});

describe("the chunk writer's privileged path", () => {
  const chunk = {
    chunkIndex: 0,
    firstRow: 1,
    rowCount: 1,
    rawBytes: 4,
    compressedBytes: 4,
    xxh64: 1n,
    payload: Buffer.from('data'),
  };

  /** Stages one chunk as the transaction acting for A, then asks the writer to file it under (org, file). */
  async function stageAndMove(organizationId: string, fileId: string): Promise<string> {
    const client = await t.env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, a.id);
      const writer = await ChunkWriter.open(client, { organizationId, fileId });
      await writer.write({ ...chunk, chunkIndex: 900 });
      await writer.finish();
      return 'moved';
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      return cause?.code ?? (err as { code?: string }).code ?? String(err);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  it("cannot write B's rows: RLS refuses B's organization and the key refuses B's file under A", async () => {
    expect(await stageAndMove(b.id, b.fileId)).toBe('42501');
    expect(await stageAndMove(a.id, b.fileId)).toBe('23503');
    expect(await stageAndMove(a.id, a.fileId)).toBe('moved');
    const { rows } = await t.env.admin.query(
      'SELECT count(*)::int AS n FROM storage_meta.file_chunks WHERE chunk_index = 900',
    );
    expect(rows[0].n).toBe(0);
  });

  it('is the only way in: COPY into file_chunks as ingest_app is refused by PostgreSQL', async () => {
    const client = await t.env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, a.id);
      const copy = client.query(copyFrom('COPY storage_meta.file_chunks FROM STDIN'));
      const refused = new Promise<string | undefined>((resolve) => {
        copy.on('error', (e: { code?: string }) => resolve(e.code));
        copy.on('finish', () => resolve(undefined));
      });
      copy.end();
      // 0A000: COPY FROM not supported with row-level security.
      expect(await refused).toBe('0A000');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
