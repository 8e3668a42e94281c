import { createPublicKey } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeopleLimits } from '../src/config.js';
import type { Role } from '../src/domain/index.js';
import { addMember } from '../src/people/index.js';
import { TestIdentityProvider } from './support/identity-provider.js';
import { json, startTestServer, type TestServer, waitFor } from './support/server.js';

/**
 * Sign-in with the identity provider's tokens, against a real server on 127.0.0.1 whose JWKS comes from a
 * real HTTP server (the provider), with tokens signed by jose: every token the provider did not issue for
 * this audience, or that is not valid now, is 401; a key rotated in at the provider works without restart.
 */

let idp: TestIdentityProvider;
let t: TestServer;
let orgId: string;
const operator = { kind: 'operator' as const, name: 'test' };

beforeAll(async () => {
  idp = await TestIdentityProvider.start();
  t = await startTestServer({ auth: idp.config });
  orgId = (await t.env.organization('signin')).id;
  await addMember(
    t.env.services.pool,
    operator,
    orgId,
    { externalId: 'user-viewer' },
    'viewer',
    defaultPeopleLimits(),
  );
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

/** GET /v1/files in `signin` with `token`. */
function listFiles(token: string, org = 'signin'): Promise<Response> {
  return t.request('/v1/files', token, { headers: { 'x-ingest-organization': org } });
}

async function expect401(token: string): Promise<string> {
  const res = await listFiles(token);
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(401);
  expect(body.error.code).toBe('UNAUTHORIZED');
  return body.error.message;
}

describe('sign-in tokens', () => {
  it('accept an RS256 and an ES256 token of the provider for a member', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const res = await listFiles(await idp.token('user-viewer', { alg }));
      expect(res.status, alg).toBe(200);
      expect((await json(res)).files).toEqual([]);
    }
  });

  it('refuse expired, not-yet-valid, wrong-issuer and wrong-audience tokens with 401', async () => {
    expect(await expect401(await idp.token('user-viewer', { expiresIn: -120 }))).toMatch(/expired/);
    expect(await expect401(await idp.token('user-viewer', { notBefore: 120 }))).toMatch(/nbf/);
    expect(await expect401(await idp.token('user-viewer', { issuer: 'https://evil.example' }))).toMatch(
      /iss/,
    );
    expect(await expect401(await idp.token('user-viewer', { audience: 'another-app' }))).toMatch(/aud/);
    // Within the clock tolerance (30 s) a token just expired or just about to be valid still passes.
    expect((await listFiles(await idp.token('user-viewer', { expiresIn: -5 }))).status).toBe(200);
    expect((await listFiles(await idp.token('user-viewer', { notBefore: 5 }))).status).toBe(200);
  });

  it('refuse a token signed with a key the JWKS does not have (unknown kid) with 401', async () => {
    const kid = await idp.addKey('RS256', false);
    expect(await expect401(await idp.token('user-viewer', { kid }))).toMatch(/key set does not have/);
  });

  it('refuse alg none and HS256 keyed with the public key with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const payload = { sub: 'user-viewer', iss: idp.issuer, aud: idp.audience, iat: now, exp: now + 300 };
    const encode = (o: object) => base64url.encode(JSON.stringify(o));
    const none = `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
    expect(await expect401(none)).toMatch(/algorithm not accepted|malformed/);
    // The classic confusion: the RSA public key (public: it is in the JWKS) used as an HMAC secret.
    const jwk = idp.publicJwk();
    const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid!, typ: 'JWT' })
      .sign(new TextEncoder().encode(String(pem)));
    expect(await expect401(hs256)).toMatch(/algorithm not accepted/);
    // Garbage and a token with a forged signature.
    await expect401('not.a.jwt');
    const good = await idp.token('user-viewer');
    await expect401(`${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(342)}`);
  });

  it('uses a key rotated in at the provider without a restart', async () => {
    const kid = await idp.addKey('ES256', false);
    const token = await idp.token('user-viewer', { kid });
    expect((await listFiles(token)).status).toBe(401);
    idp.publish(kid);
    // The server fetches the key set again on an unknown kid, at most once per cooldown (2 s).
    await waitFor(async () => (await listFiles(token)).status === 200, 10_000);
    const fetches = idp.fetches;
    expect((await listFiles(await idp.token('user-viewer', { kid }))).status).toBe(200);
    expect(idp.fetches).toBe(fetches);
  });

  it('needs X-Ingest-Organization, and answers a non-member exactly as a missing organization', async () => {
    const token = await idp.token('user-viewer');
    const none = await t.request('/v1/files', token);
    expect(none.status).toBe(400);
    expect((await json(none)).error.code).toBe('ORG_REQUIRED');
    await t.env.organization('signin-other');
    const notMember = await listFiles(token, 'signin-other');
    const missing = await listFiles(token, 'signin-nonexistent');
    expect([notMember.status, missing.status]).toEqual([404, 404]);
    const strip = async (res: Response) => {
      const { error } = await json(res);
      return { code: error.code, message: String(error.message).replace(/signin-\w+/, 'X') };
    };
    expect(await strip(notMember)).toEqual(await strip(missing));
  });

  it('lets API keys work as before beside tokens, ignoring X-Ingest-Organization', async () => {
    const { key } = await t.key('signin-keys');
    const res = await t.request('/v1/usage', key, { headers: { 'x-ingest-organization': 'signin' } });
    expect(res.status).toBe(200);
    expect((await json(res)).organization).toBe('signin-keys');
    const malformed = await t.request('/v1/usage', 'ik_nope');
    expect((await json(malformed)).error.message).toMatch(/malformed API key/);
  });
});

describe('first sign-in', () => {
  it('fills the user from the token and turns a pending invitation to a verified email into a membership', async () => {
    const pool = t.env.services.pool;
    const invited = await addMember(
      pool,
      operator,
      orgId,
      { email: 'New.Person@Example.com' },
      'member',
      defaultPeopleLimits(),
    );
    expect(invited).toEqual({ status: 'invited', email: 'new.person@example.com', role: 'member' });
    const claims = { email: 'new.person@example.com', email_verified: true, name: 'New Person' };
    // An unverified email claim accepts nothing.
    const unverified = await idp.token('user-new', {
      claims: { ...claims, email: 'new.person@example.com', email_verified: false },
    });
    expect((await listFiles(unverified)).status).toBe(404);
    const token = await idp.token('user-new', { claims });
    const me = await t.request('/v1/me', token);
    expect(me.status).toBe(200);
    const body = await json(me);
    expect(body.user).toMatchObject({
      externalId: 'user-new',
      email: 'new.person@example.com',
      name: 'New Person',
    });
    expect(body.organizations).toEqual([
      {
        slug: 'signin',
        name: 'signin',
        id: orgId,
        role: 'member' satisfies Role,
        viaAgency: false,
        agency: null,
      },
    ]);
    expect((await listFiles(token)).status).toBe(200);
    const { rows } = await t.env.admin.query(
      `SELECT action, actor, user_id FROM logs.activity_log WHERE organization_id = $1 AND action = 'member.join'`,
      [orgId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].actor).toBe(`user:${rows[0].user_id}`);
  });

  it('answers GET /v1/me only for a sign-in token', async () => {
    const { key } = await t.key('signin-keys');
    expect((await t.request('/v1/me', key)).status).toBe(403);
    expect((await t.request('/v1/me', undefined)).status).toBe(401);
  });
});
