import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeopleLimits } from '../src/config.js';
import { type Permission, ROLE_TABLE, ROLES, roleAllows } from '../src/domain/index.js';
import { addMember } from '../src/people/index.js';
import { TestIdentityProvider } from './support/identity-provider.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * Every cell of the role table over HTTP: for each role, a signed-in user of that role in an organization
 * of its own calls an endpoint of every action of every row; it gets what it asked for exactly when
 * ROLE_TABLE says its role may (roleAllows), and 403 FORBIDDEN otherwise.
 */

let idp: TestIdentityProvider;
let t: TestServer;
const operator = { kind: 'operator' as const, name: 'test' };
const sample = await readFile('fixtures/sample.csv');

beforeAll(async () => {
  idp = await TestIdentityProvider.start();
  t = await startTestServer({ auth: idp.config });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

interface Cell {
  /** What is done, for the failure message. */
  name: string;
  permission: Permission;
  /** The request, made by a user of the role; resolves to the status expected when allowed. */
  run(call: Call, fixture: Fixture): Promise<[Response, number]>;
}
type Call = (path: string, init?: RequestInit) => Promise<Response>;
interface Fixture {
  slug: string;
  fileId: string;
  adminUserId: string;
  keyId: string;
}

const jsonBody = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

// One or more endpoints per action of each row of the table (the README's "Users and roles").
const CELLS: Cell[] = [
  { name: 'list files', permission: 'files:read', run: async (c) => [await c('/v1/files'), 200] },
  {
    name: 'read a file',
    permission: 'files:read',
    run: async (c, f) => [await c(`/v1/files/${f.fileId}`), 200],
  },
  {
    name: 'read rows',
    permission: 'files:read',
    run: async (c, f) => [await c(`/v1/files/${f.fileId}/content`), 200],
  },
  {
    name: 'read metrics',
    permission: 'files:read',
    run: async (c, f) => [await c(`/v1/files/${f.fileId}/metrics`), 200],
  },
  { name: 'read usage', permission: 'files:read', run: async (c) => [await c('/v1/usage'), 200] },
  { name: 'list members', permission: 'files:read', run: async (c) => [await c('/v1/members'), 200] },
  { name: 'read branding', permission: 'files:read', run: async (c) => [await c('/v1/branding'), 200] },
  {
    name: 'upload into an audit (creates it)',
    permission: 'files:write',
    run: async (c) => [
      await c('/v1/files?filename=new.csv&audit=q4', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: 'id,name\n1,new\n',
      }),
      201,
    ],
  },
  {
    name: 'delete a file',
    permission: 'files:delete',
    run: async (c, f) => [await c(`/v1/files/${f.fileId}`, { method: 'DELETE' }), 200],
  },
  { name: 'list API keys', permission: 'keys:manage', run: async (c) => [await c('/v1/keys'), 200] },
  {
    name: 'create an API key',
    permission: 'keys:manage',
    run: async (c) => [await c('/v1/keys', jsonBody('POST', { scopes: ['files:read'], name: 'ci' })), 201],
  },
  {
    name: 'revoke an API key',
    permission: 'keys:manage',
    run: async (c, f) => [await c(`/v1/keys/${f.keyId}`, { method: 'DELETE' }), 200],
  },
  {
    name: 'invite a member as admin',
    permission: 'members:manage',
    run: async (c) => [
      await c('/v1/members', jsonBody('POST', { email: 'new.admin@example.com', role: 'admin' })),
      201,
    ],
  },
  {
    name: 'change the quota',
    permission: 'organization:manage',
    run: async (c, f) => [
      await c(`/v1/organizations/${f.slug}`, jsonBody('PATCH', { quotaBytes: 1_000_000 })),
      200,
    ],
  },
  {
    name: 'change the branding',
    permission: 'organization:manage',
    run: async (c) => [
      await c('/v1/branding', jsonBody('PUT', { displayName: 'Acme', primaryColor: '#AA00ff' })),
      200,
    ],
  },
  {
    name: "change an admin's role",
    permission: 'owners:manage',
    run: async (c, f) => [
      await c(`/v1/members/${f.adminUserId}`, jsonBody('PATCH', { role: 'member' })),
      200,
    ],
  },
  {
    name: 'invite an owner',
    permission: 'owners:manage',
    run: async (c) => [
      await c('/v1/members', jsonBody('POST', { externalId: 'future-owner', role: 'owner' })),
      201,
    ],
  },
  // Last: for an owner it deletes the organization.
  {
    name: 'delete the organization',
    permission: 'organization:manage',
    run: async (c, f) => [await c(`/v1/organizations/${f.slug}`, { method: 'DELETE' }), 200],
  },
];

describe('the role table over HTTP', () => {
  it('covers every permission of ROLE_TABLE', () => {
    const covered = new Set(CELLS.map((c) => c.permission));
    const wanted = ROLE_TABLE.flatMap((row) => row.permissions).filter((p) => p !== 'clients:create');
    expect(wanted.filter((p) => !covered.has(p))).toEqual([]);
  });

  for (const role of ROLES) {
    it(`gives a ${role} exactly its cells`, async () => {
      const pool = t.env.services.pool;
      const slug = `cells-${role}`;
      const org = await t.env.organization(slug);
      const limits = defaultPeopleLimits();
      // Another owner (so removing nobody leaves it ownerless) and an admin whose role is changed.
      await addMember(pool, operator, org.id, { externalId: `${slug}-owner` }, 'owner', limits);
      const admin = await addMember(pool, operator, org.id, { externalId: `${slug}-admin` }, 'admin', limits);
      await addMember(pool, operator, org.id, { externalId: `${slug}-actor` }, role, limits);
      const { key, id: keyId } = await t.key(org);
      const uploaded = await t.request('/v1/files?filename=a.csv', key, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: sample,
      });
      const fixture: Fixture = {
        slug,
        fileId: (await json(uploaded)).fileId,
        adminUserId: admin.status === 'member' ? admin.userId : '',
        keyId,
      };
      const token = await idp.token(`${slug}-actor`);
      const call: Call = (path, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set('x-ingest-organization', slug);
        return t.request(path, token, { ...init, headers });
      };
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const cell of CELLS) {
        const [res, okStatus] = await cell.run(call, fixture);
        const body = await res.text();
        const code = res.status >= 400 ? JSON.parse(body).error.code : '';
        outcomes.push(`${cell.name}: ${res.status}${code && ` ${code}`}`);
        expected.push(`${cell.name}: ${roleAllows(role, cell.permission) ? okStatus : '403 FORBIDDEN'}`);
      }
      expect(outcomes).toEqual(expected);
    });
  }

  it('keeps API keys to their scopes on the people endpoints: keys manage no people, keys or branding', async () => {
    const { key } = await t.key('cells-key');
    for (const [path, init] of [
      ['/v1/keys', {}],
      ['/v1/members', jsonBody('POST', { email: 'x@example.com', role: 'viewer' })],
      ['/v1/branding', jsonBody('PUT', { displayName: 'x' })],
    ] as const) {
      const res = await t.request(path, key, init);
      expect(res.status, path).toBe(403);
    }
  });
});
