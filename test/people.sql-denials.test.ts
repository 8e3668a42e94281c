import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeopleLimits } from '../src/config.js';
import { runAsMember, withTenant } from '../src/db/index.js';
import { PERMISSIONS, ROLES, type Role, roleAllows } from '../src/domain/index.js';
import { addMember } from '../src/people/index.js';
import { startTestServer, type TestServer } from './support/server.js';

/**
 * The role table again at the SQL level: transactions as ingest_app with a member's user and role set
 * (as the server sets them for a signed-in request, through runAsMember) are refused what the role may
 * not do even when no application code checked, by the per-operation policies and the definer functions
 * of migration 0030. Service transactions (API keys, the CLI: no role) keep what they had.
 */

let t: TestServer;
let orgId: string;
const users: Partial<Record<Role, string>> = {};
let fileId: string;

beforeAll(async () => {
  t = await startTestServer();
  const { key, organization } = await t.key('sql-roles');
  orgId = organization.id;
  for (const role of ROLES) {
    const added = await addMember(
      t.env.services.pool,
      { kind: 'operator', name: 'test' },
      orgId,
      { externalId: `sql-${role}` },
      role,
      defaultPeopleLimits(),
    );
    if (added.status === 'member') users[role] = added.userId;
  }
  const res = await t.request('/v1/files?filename=a.csv', key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: 'a,b\n1,2\n',
  });
  fileId = ((await res.json()) as { fileId: string }).fileId;
});
afterAll(async () => {
  await t?.close();
});

/** Runs `sql` as ingest_app in the organization as a member of `role` (rolled back): 'ok', rows or the error. */
async function asMember(role: Role | null, sql: string, values: unknown[] = []): Promise<string> {
  const run = () =>
    withTenant(t.env.services.pool, orgId, async (db: pg.PoolClient) => {
      try {
        const res = await db.query(sql, values);
        return res.command === 'SELECT'
          ? `rows ${JSON.stringify(res.rows)}`
          : `${res.command} ${res.rowCount}`;
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return `${e.code}: ${e.message}`;
      } finally {
        await db.query('ROLLBACK');
        await db.query('BEGIN');
      }
    });
  return role ? runAsMember({ userId: users[role]!, role }, run) : run();
}

const RLS = /^42501: new row violates row-level security policy/;

describe('the role table in PostgreSQL, as ingest_app', () => {
  it('agrees with ROLE_TABLE in every cell (tenant.member_allows)', async () => {
    for (const role of ROLES) {
      for (const permission of PERMISSIONS) {
        expect(
          await asMember(role, 'SELECT tenant.member_allows($1) AS allowed', [permission]),
          `${role} ${permission}`,
        ).toBe(`rows [{"allowed":${roleAllows(role, permission)}}]`);
      }
    }
  });

  it("refuses a viewer's transaction a file row, a chunk, a metric and an audit", async () => {
    const file = `INSERT INTO storage_meta.files (organization_id, sha256, size_bytes, filename, object_key, status)
                  VALUES ($1, repeat('2', 64), 1, 'x.csv', 'k', 'processing')`;
    expect(await asMember('viewer', file, [orgId])).toMatch(RLS);
    expect(await asMember('member', file, [orgId])).toBe('INSERT 1');
    expect(await asMember(null, file, [orgId])).toBe('INSERT 1');
    expect(
      await asMember('viewer', `INSERT INTO audit.audits (organization_id, name) VALUES ($1, 'q')`, [orgId]),
    ).toMatch(RLS);
    expect(
      await asMember(
        'viewer',
        `INSERT INTO analytics.metrics (organization_id, file_id, metric_type, numeric_value) VALUES ($1, $2, 'x', 1)`,
        [orgId, fileId],
      ),
    ).toMatch(RLS);
    expect(await asMember('viewer', 'UPDATE storage_meta.files SET filename = $1', ['y.csv'])).toBe(
      'UPDATE 0',
    );
    // Reading stays allowed.
    expect(await asMember('viewer', 'SELECT count(*)::int AS n FROM storage_meta.files')).toBe(
      'rows [{"n":1}]',
    );
  });

  it("hides files from a member's DELETE, and lets an admin delete", async () => {
    expect(await asMember('member', 'DELETE FROM storage_meta.files WHERE id = $1', [fileId])).toBe(
      'DELETE 0',
    );
    expect(await asMember('admin', 'DELETE FROM storage_meta.files WHERE id = $1', [fileId])).toBe(
      'DELETE 1',
    );
  });

  it('holds memberships to the role table: admins up to admin, owners for admins and owners', async () => {
    const insert = `INSERT INTO tenant.memberships (organization_id, user_id, role) VALUES ($1, $2, $3)`;
    const { rows } = await t.env.admin.query(
      `INSERT INTO tenant.users (external_id) VALUES ('sql-new') RETURNING id`,
    );
    const newUser = rows[0].id as string;
    expect(await asMember('member', insert, [orgId, newUser, 'viewer'])).toMatch(RLS);
    expect(await asMember('admin', insert, [orgId, newUser, 'admin'])).toBe('INSERT 1');
    expect(await asMember('admin', insert, [orgId, newUser, 'owner'])).toMatch(RLS);
    expect(await asMember('owner', insert, [orgId, newUser, 'owner'])).toBe('INSERT 1');
    const demote = `UPDATE tenant.memberships SET role = 'viewer' WHERE user_id = $1`;
    expect(await asMember('admin', demote, [users.admin])).toBe('UPDATE 0');
    expect(await asMember('admin', demote, [users.member])).toBe('UPDATE 1');
    expect(
      await asMember('admin', 'UPDATE tenant.memberships SET role = $2 WHERE user_id = $1', [
        users.member,
        'owner',
      ]),
    ).toMatch(RLS);
    expect(await asMember('admin', 'DELETE FROM tenant.memberships WHERE user_id = $1', [users.owner])).toBe(
      'DELETE 0',
    );
    expect(await asMember('owner', 'DELETE FROM tenant.memberships WHERE user_id = $1', [users.admin])).toBe(
      'DELETE 1',
    );
    // A service transaction (an API key's) manages no memberships at all.
    expect(await asMember(null, insert, [orgId, newUser, 'viewer'])).toMatch(RLS);
    expect(await asMember(null, 'DELETE FROM tenant.memberships')).toBe('DELETE 0');
  });

  it('keeps branding, quota, keys and client organizations to their roles in the definer functions too', async () => {
    const branding = `INSERT INTO tenant.branding (organization_id, display_name) VALUES ($1, 'x')`;
    expect(await asMember('admin', branding, [orgId])).toMatch(RLS);
    expect(await asMember('owner', branding, [orgId])).toBe('INSERT 1');
    expect(await asMember('admin', 'SELECT tenant.set_storage_quota(1) AS ok')).toBe('rows [{"ok":false}]');
    expect(await asMember('owner', 'SELECT tenant.set_storage_quota(1) AS ok')).toBe('rows [{"ok":true}]');
    const key = `SELECT outcome FROM tenant.create_member_api_key('k', 'abcdefabcdef', decode(repeat('00', 32), 'hex'), '{files:read}', NULL, 10)`;
    expect(await asMember('member', key)).toBe('rows [{"outcome":"denied"}]');
    expect(await asMember(null, key)).toBe('rows [{"outcome":"denied"}]');
    expect(await asMember('admin', key)).toBe('rows [{"outcome":"created"}]');
    expect(await asMember('member', 'SELECT count(*)::int AS n FROM tenant.api_keys')).toBe('rows [{"n":0}]');
    const client = `SELECT outcome FROM tenant.create_client_organization('sql-client', NULL, 10)`;
    expect(await asMember('member', client)).toBe('rows [{"outcome":"denied"}]');
    expect(await asMember('admin', client)).toBe('rows [{"outcome":"created"}]');
    expect(await asMember('viewer', "SELECT tenant.ensure_user('someone')")).toMatch(
      /^42501: permission denied/,
    );
  });
});
