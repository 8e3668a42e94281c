import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeopleLimits } from '../src/config.js';
import { logger } from '../src/logger.js';
import { addMember } from '../src/people/index.js';
import { type RunningServer, startServer } from '../src/server/index.js';
import { TestIdentityProvider } from './support/identity-provider.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * Agencies and their clients, member changes taking effect at once on every server process, and the
 * bounds on a tenant's people, over real HTTP with real tokens.
 */

let idp: TestIdentityProvider;
let t: TestServer;
/** A second server process on the same database: its caches hear changes only through the change feed. */
let other: RunningServer;
const operator = { kind: 'operator' as const, name: 'test' };
const limits = { ...defaultPeopleLimits(), maxClients: 2, maxInvitations: 2 };

beforeAll(async () => {
  idp = await TestIdentityProvider.start();
  t = await startTestServer({ auth: idp.config, peopleLimits: limits });
  other = await startServer({
    services: t.env.services,
    maxUploadBytes: 1024 * 1024,
    host: '127.0.0.1',
    port: 0,
    log: logger,
    auth: idp.config,
    peopleLimits: limits,
  });
});
afterAll(async () => {
  await other?.close(1000);
  await t?.close();
  await idp?.close();
});

async function call(sub: string, org: string | null, path: string, init: RequestInit = {}, base = t.url) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await idp.token(sub)}`);
  if (org) headers.set('x-ingest-organization', org);
  if (init.body)
    headers.set(
      'content-type',
      typeof init.body === 'string' && init.body.startsWith('{') ? 'application/json' : 'text/csv',
    );
  return fetch(`${base}${path}`, { ...init, headers });
}

describe('agencies', () => {
  it('let an agency admin create clients and act in them; a client viewer cannot see a sibling', async () => {
    const pool = t.env.services.pool;
    const agency = await t.env.organization('agency');
    await addMember(pool, operator, agency.id, { externalId: 'ag-owner' }, 'owner', limits);
    await addMember(pool, operator, agency.id, { externalId: 'ag-admin' }, 'admin', limits);
    await addMember(pool, operator, agency.id, { externalId: 'ag-viewer' }, 'viewer', limits);

    for (const slug of ['client-a', 'client-b']) {
      const res = await call('ag-admin', 'agency', '/v1/organizations', {
        method: 'POST',
        body: JSON.stringify({ slug, name: slug.toUpperCase() }),
      });
      expect(res.status).toBe(201);
      expect(await json(res)).toMatchObject({ slug, agency: 'agency' });
    }
    // Bounded: INGEST_MAX_CLIENTS is 2 here. A viewer may not create clients at all.
    const third = await call('ag-admin', 'agency', '/v1/organizations', {
      method: 'POST',
      body: '{"slug":"client-c"}',
    });
    expect([third.status, (await json(third)).error.code]).toEqual([409, 'TOO_MANY_CLIENTS']);
    expect(
      (
        await call('ag-viewer', 'agency', '/v1/organizations', {
          method: 'POST',
          body: '{"slug":"client-d"}',
        })
      ).status,
    ).toBe(403);
    const list = await json(await call('ag-viewer', 'agency', '/v1/organizations'));
    expect((list.organizations as Array<{ slug: string }>).map((o) => o.slug)).toEqual([
      'client-a',
      'client-b',
    ]);

    // The agency admin acts in a client with its agency role: upload and delete.
    const up = await call('ag-admin', 'client-a', '/v1/files?filename=a.csv', {
      method: 'POST',
      body: 'a,b\n1,2\n',
    });
    expect(up.status).toBe(201);
    const fileId = (await json(up)).fileId;
    expect((await call('ag-admin', 'client-a', `/v1/files/${fileId}`, { method: 'DELETE' })).status).toBe(
      200,
    );
    // The agency's owner acts as admin in a client (owning a client is explicit), a viewer as viewer.
    expect(
      (await call('ag-owner', 'client-a', '/v1/branding', { method: 'PUT', body: '{"displayName":"x"}' }))
        .status,
    ).toBe(403);
    expect(
      (await call('ag-viewer', 'client-a', '/v1/files?filename=b.csv', { method: 'POST', body: 'a\n1\n' }))
        .status,
    ).toBe(403);

    const me = await json(await call('ag-owner', null, '/v1/me'));
    expect(me.organizations).toEqual([
      expect.objectContaining({ slug: 'agency', role: 'owner', viaAgency: false, agency: null }),
      expect.objectContaining({ slug: 'client-a', role: 'admin', viaAgency: true, agency: 'agency' }),
      expect.objectContaining({ slug: 'client-b', role: 'admin', viaAgency: true, agency: 'agency' }),
    ]);

    // A client's own viewer: its client only; the sibling is as absent as a missing organization.
    const clientA = await t.env.organization('client-a');
    await addMember(pool, operator, clientA.id, { externalId: 'a-viewer' }, 'viewer', limits);
    expect((await call('a-viewer', 'client-a', '/v1/files')).status).toBe(200);
    const sibling = await call('a-viewer', 'client-b', '/v1/files');
    expect([sibling.status, (await json(sibling)).error.code]).toEqual([404, 'ORG_NOT_FOUND']);
    expect((await call('a-viewer', 'agency', '/v1/files')).status).toBe(404);
    expect((await json(await call('a-viewer', 'client-a', '/v1/organizations'))).organizations).toEqual([]);
    // One level: a client has no clients.
    await addMember(pool, operator, clientA.id, { externalId: 'a-admin' }, 'admin', limits);
    const nested = await call('a-admin', 'client-a', '/v1/organizations', {
      method: 'POST',
      body: '{"slug":"nested"}',
    });
    expect([nested.status, (await json(nested)).error.code]).toEqual([409, 'NOT_AN_AGENCY']);
  });

  it("lets a client inherit the agency's branding field by field unless it sets its own", async () => {
    const put = await call('ag-owner', 'agency', '/v1/branding', {
      method: 'PUT',
      body: JSON.stringify({
        displayName: 'Agency',
        logoUrl: 'https://cdn.example/logo.png',
        primaryColor: '#112233',
      }),
    });
    expect(put.status).toBe(200);
    const clientB = await t.env.organization('client-b');
    await addMember(t.env.services.pool, operator, clientB.id, { externalId: 'b-owner' }, 'owner', limits);
    const own = await call('b-owner', 'client-b', '/v1/branding', {
      method: 'PUT',
      body: '{"displayName":"Client B"}',
    });
    expect(await json(own)).toMatchObject({
      displayName: 'Client B',
      logoUrl: 'https://cdn.example/logo.png',
      primaryColor: '#112233',
      supportEmail: null,
      inherited: ['logoUrl', 'primaryColor'],
    });
    const bad = await call('b-owner', 'client-b', '/v1/branding', {
      method: 'PUT',
      body: JSON.stringify({ logoUrl: 'javascript:alert(1)', primaryColor: 'red' }),
    });
    expect([bad.status, (await json(bad)).error.code]).toEqual([400, 'INVALID_OPTION']);
  });
});

describe('member changes', () => {
  it("end a removed member's access on their next request, on every server", async () => {
    const org = await t.env.organization('removal');
    const pool = t.env.services.pool;
    await addMember(pool, operator, org.id, { externalId: 'rm-owner' }, 'owner', limits);
    const added = await addMember(pool, operator, org.id, { externalId: 'rm-member' }, 'member', limits);
    const userId = added.status === 'member' ? added.userId : '';
    // Both servers have verified the member (and may keep it in their membership cache).
    for (const base of [t.url, other.url]) {
      for (let i = 0; i < 3; i++)
        expect((await call('rm-member', 'removal', '/v1/files', {}, base)).status).toBe(200);
    }
    const removed = await call('rm-owner', 'removal', `/v1/members/${userId}`, { method: 'DELETE' });
    expect(await json(removed)).toEqual({ removed: 'member', userId });
    for (const base of [t.url, other.url]) {
      expect((await call('rm-member', 'removal', '/v1/files', {}, base)).status, base).toBe(404);
    }
    const { rows } = await t.env.admin.query(
      `SELECT action, actor, user_id, target_id FROM logs.activity_log WHERE organization_id = $1 AND action = 'member.remove'`,
      [org.id],
    );
    expect(rows).toEqual([
      {
        action: 'member.remove',
        actor: expect.stringMatching(/^user:/),
        user_id: expect.any(String),
        target_id: userId,
      },
    ]);
  });

  it('take a demotion into account on the next request, and keep the last owner', async () => {
    const org = await t.env.organization('demotion');
    const pool = t.env.services.pool;
    const owner = await addMember(pool, operator, org.id, { externalId: 'dm-owner' }, 'owner', limits);
    const admin = await addMember(pool, operator, org.id, { externalId: 'dm-admin' }, 'admin', limits);
    const adminId = admin.status === 'member' ? admin.userId : '';
    expect((await call('dm-admin', 'demotion', '/v1/keys', {}, other.url)).status).toBe(200);
    const demoted = await call('dm-owner', 'demotion', `/v1/members/${adminId}`, {
      method: 'PATCH',
      body: '{"role":"viewer"}',
    });
    expect(await json(demoted)).toEqual({ userId: adminId, role: 'viewer', previousRole: 'admin' });
    expect((await call('dm-admin', 'demotion', '/v1/keys', {}, other.url)).status).toBe(403);
    const ownerId = owner.status === 'member' ? owner.userId : '';
    const last = await call('dm-owner', 'demotion', `/v1/members/${ownerId}`, {
      method: 'PATCH',
      body: '{"role":"admin"}',
    });
    expect([last.status, (await json(last)).error.code]).toEqual([409, 'LAST_OWNER']);
  });

  it('bound pending invitations (INGEST_MAX_INVITATIONS) and log every change with the acting user', async () => {
    const org = await t.env.organization('invites');
    await addMember(t.env.services.pool, operator, org.id, { externalId: 'inv-owner' }, 'owner', limits);
    const invite = (email: string) =>
      call('inv-owner', 'invites', '/v1/members', {
        method: 'POST',
        body: JSON.stringify({ email, role: 'viewer' }),
      });
    expect((await invite('a@example.com')).status).toBe(201);
    expect((await invite('b@example.com')).status).toBe(201);
    const third = await invite('c@example.com');
    expect([third.status, (await json(third)).error.code]).toEqual([409, 'TOO_MANY_INVITATIONS']);
    const key = await json(
      await call('inv-owner', 'invites', '/v1/keys', { method: 'POST', body: '{"scopes":["files:read"]}' }),
    );
    expect(key.key).toMatch(/^ik_/);
    // The key works as any key does.
    expect((await t.request('/v1/files', key.key as string)).status).toBe(200);
    await call('inv-owner', 'invites', `/v1/keys/${key.id}`, { method: 'DELETE' });
    await call('inv-owner', 'invites', '/v1/branding', {
      method: 'PUT',
      body: '{"supportEmail":"help@example.com"}',
    });
    const { rows } = await t.env.admin.query(
      `SELECT action FROM logs.activity_log WHERE organization_id = $1 AND user_id IS NOT NULL ORDER BY created_at`,
      [org.id],
    );
    expect(rows.map((r) => r.action)).toEqual([
      'member.invite',
      'member.invite',
      'api_key.create',
      'api_key.revoke',
      'branding.update',
    ]);
  });
});
