import { randomBytes } from 'node:crypto';
import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { createS3TestEnvironment, type S3TestEnvironment } from './support/s3-services.js';

let t: S3TestEnvironment;
beforeAll(async () => {
  t = await createS3TestEnvironment();
});
afterAll(async () => {
  await t?.close();
});

async function orgId(slug: string): Promise<string> {
  return (await t.db.pool.query('SELECT id FROM tenant.organizations WHERE slug = $1', [slug])).rows[0].id;
}

/**
 * Rows of one organization in every relation the catalog knows that carries organization rows: tables
 * and partitions with an organization_id column, materialized views with one, and the organizations
 * table itself. Read from the catalog, so a table added later is checked without changing this test.
 */
async function rowsOf(organizationId: string): Promise<Record<string, number>> {
  const { rows: relations } = await t.db.pool.query<{ name: string; column: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name,
            CASE WHEN n.nspname = 'tenant' AND c.relname = 'organizations' THEN 'id' ELSE 'organization_id' END AS column
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'm')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND ((n.nspname = 'tenant' AND c.relname = 'organizations')
            OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id'
                       AND NOT a.attisdropped))`,
  );
  const counts: Record<string, number> = {};
  for (const r of relations) {
    const { rows } = await t.db.pool.query(
      `SELECT count(*)::int AS n FROM ${r.name} WHERE "${r.column}" = $1`,
      [organizationId],
    );
    counts[r.name] = rows[0].n;
  }
  return counts;
}

/** Members, an API key and a rate-limit window: rows that no ingest writes. */
async function addAccountRows(organizationId: string): Promise<void> {
  await t.db.pool.query(
    `INSERT INTO tenant.organization_members (organization_id, member_email, role) VALUES ($1, 'owner@example.com', 'owner')`,
    [organizationId],
  );
  const { rows } = await t.db.pool.query(
    `INSERT INTO tenant.api_keys (organization_id, prefix, secret_sha256, scopes) VALUES ($1, $2, $3, '{files:write}')
     RETURNING id`,
    [organizationId, `ik_${randomBytes(6).toString('hex')}`, randomBytes(32)],
  );
  await t.db.pool.query(
    `INSERT INTO tenant.rate_limit_windows (organization_id, api_key_id, window_start, request_count)
     VALUES ($1, $2, date_trunc('minute', now()), 3)`,
    [organizationId, rows[0].id],
  );
}

describe('ingest org delete', () => {
  it('refuses without --yes, then removes every row and object of the organization and nothing else', async () => {
    for (const slug of ['doomed', 'survivor']) {
      const run = await runCli(
        [
          'fixtures/sample.csv',
          'fixtures/field-count-mismatch.csv',
          '--org',
          slug,
          '--audit',
          'q1',
          '--on-error',
          'skip',
        ],
        t.env,
      );
      expect(run.code).toBe(0);
      await addAccountRows(await orgId(slug));
    }
    const doomed = await orgId('doomed');
    const survivor = await orgId('survivor');
    expect((await runCli(['archive', '--org', 'doomed', '--older-than', '0s'], t.env)).code).toBe(0);
    // Unfinished uploads under the organization's prefix: one for an original (start-up recovery aborts
    // it, its file lock being free) and one under a key that is not ingest's (only org delete removes it).
    for (const key of [`orgs/${doomed}/sha256/${'0'.repeat(64)}`, `orgs/${doomed}/tmp/upload`])
      await t.s3.client.send(new CreateMultipartUploadCommand({ Bucket: t.s3.bucket, Key: key }));
    await t.db.pool.query('REFRESH MATERIALIZED VIEW analytics.organization_metrics');

    const beforeDoomed = await rowsOf(doomed);
    const beforeSurvivor = await rowsOf(survivor);
    for (const table of [
      'tenant.organizations',
      'tenant.organization_members',
      'tenant.api_keys',
      'tenant.rate_limit_windows',
      'audit.audits',
      'storage_meta.files',
      'storage_meta.rejected_rows',
      'analytics.metrics',
      'analytics.organization_metrics',
      'logs.activity_log',
    ])
      expect(beforeDoomed[table], table).toBeGreaterThan(0);
    expect(await t.s3.keys(`orgs/${doomed}/`)).toHaveLength(4); // two originals, two archives

    const refused = await runCli(['org', 'delete', 'doomed'], t.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(await rowsOf(doomed)).toEqual(beforeDoomed);

    const run = await runCli(['org', 'delete', 'doomed', '--yes', '--json'], t.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const removed = JSON.parse(run.stdout);
    expect(removed).toMatchObject({
      organization: 'doomed',
      organizationId: doomed,
      objects: 4,
      uploadsAborted: 1,
    });
    expect(removed.rows['tenant.organizations']).toBe(1);
    expect(removed.rows['storage_meta.files']).toBe(2);
    expect(removed.rows['tenant.api_keys']).toBe(1);
    expect(removed.rows['logs.activity_log']).toBe(beforeDoomed['logs.activity_log']);

    const after = await rowsOf(doomed);
    expect(Object.keys(after).length).toBeGreaterThanOrEqual(Object.keys(beforeDoomed).length);
    expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
    expect(await t.s3.keys(`orgs/${doomed}/`)).toEqual([]);
    expect(await t.s3.unfinishedUploads()).toEqual([]);

    expect(await rowsOf(survivor)).toEqual(beforeSurvivor);
    expect(await t.s3.keys(`orgs/${survivor}/`)).toHaveLength(2);
    expect((await runCli(['org', 'delete', 'doomed', '--yes'], t.env)).stderr).toContain('ORG_NOT_FOUND');
  });

  it('tells how to finish when deleting objects fails, and finishes when run again with the id', async () => {
    const run = await runCli(['fixtures/sample.csv', '--org', 'halfway', '--json'], t.env);
    expect(run.code).toBe(0);
    const id = await orgId('halfway');
    expect(await t.s3.keys(`orgs/${id}/`)).toHaveLength(1);
    // The store loses the connection of every DELETE: the rows go, the objects stay.
    t.s3.onRequest = (r) => r.method === 'DELETE';
    const failed = await runCli(['org', 'delete', 'halfway', '--yes'], t.env);
    t.s3.onRequest = undefined;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`ingest org delete ${id} --yes`);
    expect(Object.entries(await rowsOf(id)).filter(([, n]) => n > 0)).toEqual([]);
    expect(await t.s3.keys(`orgs/${id}/`)).toHaveLength(1);

    const finished = await runCli(['org', 'delete', id, '--yes', '--json'], t.env);
    expect(finished.code).toBe(0);
    expect(JSON.parse(finished.stdout)).toMatchObject({ organizationId: id, objects: 1, rows: {} });
    expect(await t.s3.keys(`orgs/${id}/`)).toEqual([]);
    expect((await runCli(['org', 'delete', id, '--yes'], t.env)).stderr).toContain('ORG_NOT_FOUND');
  }, 60_000);
});
