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

/** The seconds of the database's clock within its minute, 0 to 60. */
async function secondOfMinute(): Promise<number> {
  const { rows } = await db.pool.query(`SELECT extract(second FROM clock_timestamp())::float8 AS s`);
  return rows[0].s;
}

/** Milliseconds until the database's clock next reads `second` within a minute. */
async function msUntilSecondOfMinute(second: number): Promise<number> {
  const now = await secondOfMinute();
  return Math.round(((second - now + 60) % 60) * 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('rate limits across server processes', () => {
  it('counts one key on two processes against one per-minute limit, answering 429 with Retry-After', async () => {
    const org = await createOrganization(db.pool, { slug: 'limited' });
    const { key } = await createApiKey(db.pool, {
      organizationId: org.id,
      scopes: ['files:read'],
      rateLimitPerMinute: LIMIT,
      actor: 'test',
    });
    const responses: Response[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const server = servers[i % 2]!;
      responses.push(await fetch(`${server.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } }));
    }
    // A sliding window: no calendar minute to straddle.
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(REQUESTS - LIMIT).fill(429)]);
    // Both processes answered some of each.
    expect(new Set(statuses.filter((_, i) => i % 2 === 0))).toEqual(new Set([200, 429]));
    expect(new Set(statuses.filter((_, i) => i % 2 === 1))).toEqual(new Set([200, 429]));
    for (const limited of responses.filter((r) => r.status === 429)) {
      // The first requests leave the window 62 s after their second began, a second or so ago.
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(60);
      expect(retryAfter).toBeLessThanOrEqual(62);
      expect((await json(limited)).error).toMatchObject({ code: 'RATE_LIMITED', limit: LIMIT });
    }
  });

  it('lets a 10/min key at most 10 requests around a minute boundary, on two processes together', async () => {
    const org = await createOrganization(db.pool, { slug: 'boundary' });
    const { key } = await createApiKey(db.pool, {
      organizationId: org.id,
      scopes: ['files:read'],
      rateLimitPerMinute: 10,
      actor: 'test',
    });
    const send = async (n: number) => {
      const responses: Response[] = [];
      for (let i = 0; i < n; i++) {
        const server = servers[i % 2]!;
        responses.push(
          await fetch(`${server.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } }),
        );
      }
      return responses;
    };
    // A second before the database's next minute, when a window per calendar minute would be about to
    // start afresh; then the same again just after it. All ten must have been answered within the minute
    // (still past :59, not wrapped round to :00).
    await sleep(await msUntilSecondOfMinute(59));
    const before = await send(10);
    expect(await secondOfMinute()).toBeGreaterThanOrEqual(59);
    await sleep(await msUntilSecondOfMinute(0.2));
    const after = await send(10);
    expect(await secondOfMinute()).toBeLessThan(50);

    expect(before.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(after.map((r) => r.status)).toEqual(Array(10).fill(429));
    for (const limited of after) {
      const retryAfter = Number(limited.headers.get('retry-after'));
      // The first requests leave the window 62 s after their second began, about 1 s before.
      expect(retryAfter).toBeGreaterThanOrEqual(60);
      expect(retryAfter).toBeLessThanOrEqual(62);
      expect((await json(limited)).error).toMatchObject({ code: 'RATE_LIMITED', limit: 10 });
    }
  }, 90_000);

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
