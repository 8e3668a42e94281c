import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKeyById } from '../src/api-keys/index.js';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return (await json(res)).error;
}

describe('API key authentication', () => {
  it('answers 401 UNAUTHORIZED for no key, a malformed key, an unknown key and a wrong secret', async () => {
    const { key } = await t.key('auth');
    const [prefixPart] = key.split('_').slice(1, 2);
    const wrongSecret = `ik_${prefixPart}_${'A'.repeat(43)}`;
    const unknownPrefix = `ik_000000000000_${key.slice(-43)}`;
    const cases: Array<[string, Record<string, string>]> = [
      ['no key', {}],
      ['not bearer', { authorization: `Basic ${key}` }],
      ['malformed', { authorization: 'Bearer not-a-key' }],
      ['truncated', { authorization: `Bearer ${key.slice(0, -1)}` }],
      ['unknown prefix', { authorization: `Bearer ${unknownPrefix}` }],
      ['wrong secret', { authorization: `Bearer ${wrongSecret}` }],
    ];
    for (const [name, headers] of cases) {
      const res = await fetch(`${t.url}/v1/files`, { headers });
      expect(res.status, name).toBe(401);
      expect((await errorOf(res)).code, name).toBe('UNAUTHORIZED');
    }
    // An unknown key and a wrong secret are indistinguishable.
    const a = await errorOf(await t.request('/v1/files', unknownPrefix));
    const b = await errorOf(await t.request('/v1/files', wrongSecret));
    expect(a).toEqual(b);
    // A refused upload is never read into the pipeline.
    const upload = await t.request('/v1/files', wrongSecret, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });
    expect(upload.status).toBe(401);
  });

  it('fails a revoked key within moments and records last_used_at', async () => {
    const { key, id } = await t.key('revoked');
    expect((await t.request('/v1/usage', key)).status).toBe(200);
    const before = await t.env.admin.query('SELECT last_used_at FROM tenant.api_keys WHERE id = $1', [id]);
    expect(before.rows[0].last_used_at).toBeInstanceOf(Date);

    await revokeApiKeyById(t.env.services.pool, id, 'test');
    // The revocation reaches the server as a notification when it commits: milliseconds, far less than
    // the 10 s the server would otherwise trust the key it verified.
    let res = await t.request('/v1/usage', key);
    const deadline = Date.now() + 2_000;
    while (res.status === 200 && Date.now() < deadline) res = await t.request('/v1/usage', key);
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({
      code: 'UNAUTHORIZED',
      message: expect.stringContaining('revoked'),
    });
  });

  it('answers 403 FORBIDDEN when the key lacks the endpoint scope', async () => {
    const readOnly = (await t.key('scopes', { scopes: ['files:read'] })).key;
    const writeOnly = (await t.key('scopes', { scopes: ['files:write'] })).key;
    const someId = '00000000-0000-4000-8000-000000000000';
    const upload = await t.request('/v1/files', readOnly, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,2\n',
    });
    expect(upload.status).toBe(403);
    expect(await errorOf(upload)).toMatchObject({ code: 'FORBIDDEN', scope: 'files:write' });
    expect((await t.request(`/v1/files/${someId}`, readOnly, { method: 'DELETE' })).status).toBe(403);
    for (const path of ['/v1/files', `/v1/files/${someId}`, `/v1/files/${someId}/content`, '/v1/usage']) {
      const res = await t.request(path, writeOnly);
      expect(res.status, path).toBe(403);
      expect((await errorOf(res)).code).toBe('FORBIDDEN');
    }
    expect((await t.request('/v1/files', readOnly)).status).toBe(200);
  });

  it('stores only the SHA-256 of the secret', async () => {
    const { key, id } = await t.key('hashed');
    const secret = key.slice(-43);
    const { rows } = await t.env.admin.query(
      'SELECT to_jsonb(k)::text AS row FROM tenant.api_keys k WHERE id = $1',
      [id],
    );
    expect(rows[0].row).not.toContain(secret);
    const stored = await t.env.admin.query('SELECT secret_sha256 FROM tenant.api_keys WHERE id = $1', [id]);
    expect(stored.rows[0].secret_sha256.equals(createHash('sha256').update(secret).digest())).toBe(true);
  });
});

describe('ingest key create|list|revoke', () => {
  let home: string;
  let cliEnv: Record<string, string>;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'ingest-keys-'));
    cliEnv = { DATABASE_URL: t.env.url, INGEST_HOME: home };
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('prints the key once as JSON, lists it without the secret, revokes it, and logs both', async () => {
    const org = await t.env.organization('cli-keys');
    const created = await runCli(
      [
        'key',
        'create',
        '--org',
        'cli-keys',
        '--scopes',
        'files:read,files:write',
        '--name',
        'ci',
        '--rate-limit',
        '100',
        '--json',
      ],
      cliEnv,
    );
    expect(created.code, created.stderr).toBe(0);
    const made = JSON.parse(created.stdout);
    expect(Object.keys(made).sort()).toEqual(['id', 'key', 'prefix', 'scopes']);
    expect(made.key).toMatch(/^ik_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(made.key).toContain(made.prefix);
    expect(made.scopes).toEqual(['files:read', 'files:write']);
    expect((await t.request('/v1/usage', made.key)).status).toBe(200);

    const listed = await runCli(['key', 'list', '--org', 'cli-keys', '--json'], cliEnv);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(made.key.slice(-43));
    expect(JSON.parse(listed.stdout)).toMatchObject({
      id: made.id,
      name: 'ci',
      prefix: made.prefix,
      rateLimitPerMinute: 100,
      revokedAt: null,
      lastUsedAt: expect.any(String),
    });

    const revoked = await runCli(['key', 'revoke', made.id], cliEnv);
    expect(revoked.code).toBe(0);
    expect((await t.request('/v1/usage', made.key)).status).toBe(401);
    expect(
      (await runCli(['key', 'revoke', '00000000-0000-4000-8000-000000000000'], cliEnv)).stderr,
    ).toContain('KEY_NOT_FOUND');
    expect(
      (await runCli(['key', 'create', '--org', 'cli-keys', '--scopes', 'files:everything'], cliEnv)).code,
    ).toBe(2);

    const { rows } = await t.env.admin.query(
      `SELECT action, target_id, details::text FROM logs.activity_log WHERE organization_id = $1 AND target_type = 'api_key' ORDER BY created_at`,
      [org.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['api_key.create', 'api_key.revoke']);
    expect(rows.every((r) => r.target_id === made.id && !r.details.includes(made.key.slice(-43)))).toBe(true);
  });
});
