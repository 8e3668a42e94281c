import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPeopleLimits } from '../src/config.js';
import { ROLE_TABLE, ROLES, roleAllows } from '../src/domain/index.js';
import { addMember } from '../src/people/index.js';
import { TestIdentityProvider } from './support/identity-provider.js';
import { readmeBlock } from './support/readme-block.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);

let idp: TestIdentityProvider;
let t: TestServer;
beforeAll(async () => {
  idp = await TestIdentityProvider.start();
  t = await startTestServer({ auth: idp.config });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('the README\'s "Users and roles"', () => {
  it('prints the role table of src/domain/roles.ts', async () => {
    const rows = (await readmeBlock('role-table'))
      .trim()
      .split('\n')
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows[0]).toEqual(['action', ...ROLES]);
    expect(rows.slice(2)).toEqual(
      ROLE_TABLE.map((row) => [
        row.action,
        ...ROLES.map((r) => (roleAllows(r, row.permissions[0]!) ? 'Y' : '-')),
      ]),
    );
  });

  it('curl examples run as written against a real server with a real token, covering every people endpoint', async () => {
    const commands = (await readmeBlock('people-curl-examples'))
      .replace(/^```sh\n|```\n$/g, '')
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl '));
    const endpoints = new Set(
      commands.map((c) => {
        const method = /-X (\w+)/.exec(c)?.[1] ?? 'GET';
        return `${method} ${/"\$INGEST_URL([^"?]*)/.exec(c)![1]!.replace('$USER_ID', ':userId').replace('$KEY_ID', ':id').replace('/acme', '/:slug')}`;
      }),
    );
    for (const e of [
      'GET /v1/me',
      'GET /v1/members',
      'POST /v1/members',
      'PATCH /v1/members/:userId',
      'DELETE /v1/members/:userId',
      'GET /v1/organizations',
      'POST /v1/organizations',
      'PATCH /v1/organizations/:slug',
      'GET /v1/keys',
      'POST /v1/keys',
      'DELETE /v1/keys/:id',
      'GET /v1/branding',
      'PUT /v1/branding',
    ])
      expect(endpoints).toContain(e);

    const acme = await t.env.organization('acme');
    await addMember(
      t.env.services.pool,
      { kind: 'operator', name: 'test' },
      acme.id,
      { externalId: 'user_owner' },
      'owner',
      defaultPeopleLimits(),
    );
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      INGEST_URL: t.url,
      INGEST_TOKEN: await idp.token('user_owner', {
        claims: { email: 'owner@acme.example', email_verified: true },
      }),
    };
    const outputs: Array<{ command: string; body: Record<string, unknown> }> = [];
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', command], { env });
      const body = JSON.parse(stdout) as Record<string, unknown>;
      outputs.push({ command, body });
      expect(body, command).not.toHaveProperty('error');
      if (typeof body.userId === 'string' && !env.USER_ID) env.USER_ID = body.userId;
      if (typeof body.key === 'string') env.KEY_ID = String(body.id);
    }
    const find = (part: string) => outputs.find((o) => o.command.includes(part))!.body;
    expect(find('/v1/me"')).toMatchObject({
      organizations: [{ slug: 'acme', role: 'owner', viaAgency: false }],
    });
    expect(find('"email": "ana@example.com"')).toEqual({
      status: 'invited',
      email: 'ana@example.com',
      role: 'admin',
    });
    expect(find('-X PATCH "$INGEST_URL/v1/members')).toMatchObject({
      role: 'member',
      previousRole: 'viewer',
    });
    expect(find('-X DELETE "$INGEST_URL/v1/members')).toEqual({ removed: 'member', userId: env.USER_ID });
    expect(find('-X PUT "$INGEST_URL/v1/branding')).toMatchObject({
      displayName: 'Acme',
      primaryColor: '#0a7cff',
    });
    expect(find('-X DELETE "$INGEST_URL/v1/keys')).toMatchObject({
      id: env.KEY_ID,
      revokedAt: expect.any(String),
    });
    expect(find('-X PATCH "$INGEST_URL/v1/organizations')).toEqual({
      organization: 'acme',
      quotaBytes: 10737418240,
    });
    expect(find('-X POST "$INGEST_URL/v1/organizations')).toMatchObject({
      slug: 'acme-client',
      agency: 'acme',
    });
  });
});
