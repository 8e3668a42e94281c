import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/api-keys/index.js';
import { createOrganization } from '../src/db/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type ServeProcess, spawnServe } from './support/serve-process.js';
import { json } from './support/server.js';

let db: TestDatabase;
let home: string;
let servers: ServeProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  home = await mkdtemp(join(tmpdir(), 'ingest-serve-'));
  const env = { DATABASE_URL: db.url, INGEST_HOME: home, INGEST_LOG_LEVEL: 'info' };
  servers = await Promise.all([spawnServe(env), spawnServe(env)]);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await db?.drop();
  await rm(home, { recursive: true, force: true });
});

const LIMIT = 5;
const REQUESTS = 9;

/** The database's current minute: windows are per calendar minute. */
async function minute(): Promise<string> {
  const { rows } = await db.pool.query(`SELECT date_trunc('minute', now())::text AS m`);
  return rows[0].m;
}

describe('rate limits across server processes', () => {
  it('counts one key on two processes against one per-minute limit, answering 429 with Retry-After', async () => {
    const org = await createOrganization(db.pool, { slug: 'limited' });
    // A run that straddles a minute boundary sees two windows; it is repeated once with a fresh key.
    for (let attempt = 0; attempt < 2; attempt++) {
      const { key } = await createApiKey(db.pool, {
        organizationId: org.id,
        scopes: ['files:read'],
        rateLimitPerMinute: LIMIT,
        actor: 'test',
      });
      const started = await minute();
      const responses: Response[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const server = servers[i % 2]!;
        responses.push(
          await fetch(`${server.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } }),
        );
      }
      if ((await minute()) !== started) continue;

      const statuses = responses.map((r) => r.status);
      expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(REQUESTS - LIMIT).fill(429)]);
      // Both processes answered some of each.
      expect(new Set(statuses.filter((_, i) => i % 2 === 0))).toEqual(new Set([200, 429]));
      expect(new Set(statuses.filter((_, i) => i % 2 === 1))).toEqual(new Set([200, 429]));
      for (const limited of responses.filter((r) => r.status === 429)) {
        const retryAfter = Number(limited.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect((await json(limited)).error).toMatchObject({ code: 'RATE_LIMITED', limit: LIMIT });
      }
      return;
    }
    throw new Error('two attempts straddled a minute boundary');
  });

  it('stops gracefully on SIGTERM with exit code 0, logging without secrets', async () => {
    const org = await createOrganization(db.pool, { slug: 'logged' });
    const { key } = await createApiKey(db.pool, {
      organizationId: org.id,
      scopes: ['files:read'],
      actor: 'test',
    });
    const server = servers[0]!;
    expect(
      (await fetch(`${server.url}/v1/files`, { headers: { authorization: `Bearer ${key}` } })).status,
    ).toBe(200);
    expect(await server.stop()).toBe(0);
    const logs = server.stderr();
    expect(logs).toContain('"msg":"request completed"');
    expect(logs).not.toContain(key.slice(-43));
    expect(logs.toLowerCase()).not.toContain('bearer');
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
