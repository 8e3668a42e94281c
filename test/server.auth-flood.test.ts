import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../src/api-keys/index.js';
import { insertApiKey } from '../src/db/index.js';
import { LIMITS } from '../src/limits.js';
import { type ServeProcess, spawnServe } from './support/serve-process.js';
import { ALL_SCOPES, startTestServer, type TestServer, waitFor } from './support/server.js';

/**
 * Floods of unknown keys against a real server: they must not cost a database transaction each, nor
 * stop a legitimate key. The flood comes from 127.0.0.2 and the legitimate client from 127.0.0.1
 * (both reach the server on 127.0.0.1 over loopback), as an attacker and a customer would from
 * different hosts.
 */

/** How soon a key's creation reaches a server as a notification, with room for a busy machine. */
const NOTIFIED_WITHIN_MS = 2_000;

let t: TestServer;
/** Pool clients checked out by the server: one per database transaction it runs. */
let transactions = 0;

beforeAll(async () => {
  t = await startTestServer();
  t.env.services.pool.on('acquire', () => transactions++);
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  retryAfter: string | undefined;
  code: string | undefined;
}

const agents = new Map<string, Agent>();
/** GET `path` on `base` with `key`, from the local address `from`, over keep-alive connections. */
function get(base: string, path: string, key: string, from: string): Promise<Answer> {
  let agent = agents.get(from);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 32, localAddress: from });
    agents.set(from, agent);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { agent, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          const code =
            res.statusCode === 200 ? undefined : (JSON.parse(body) as { error: { code: string } }).error.code;
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], code });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
afterAll(() => {
  for (const agent of agents.values()) agent.destroy();
});

const randomKey = (prefix = randomBytes(6).toString('hex')) =>
  `ik_${prefix}_${randomBytes(32).toString('base64url')}`;

describe('unknown-key floods', () => {
  it('cost a small fraction of a transaction per key and leave a legitimate key working', async () => {
    const { key } = await t.key('flooded', { scopes: ['files:read'], rateLimitPerMinute: 100_000 });
    expect((await get(t.url, '/v1/usage', key, '127.0.0.1')).status).toBe(200);

    const N = 3_000;
    const before = transactions;
    const flood: Answer[] = [];
    const legitimate: Answer[] = [];
    let sent = 0;
    // 32 connections of random keys; the legitimate client sends one request after another meanwhile.
    const attacker = async () => {
      while (sent < N) {
        sent++;
        flood.push(await get(t.url, '/v1/usage', randomKey(), '127.0.0.2'));
      }
    };
    const customer = async () => {
      while (flood.length < N) legitimate.push(await get(t.url, '/v1/usage', key, '127.0.0.1'));
    };
    await Promise.all([...Array.from({ length: 32 }, attacker), customer()]);
    const used = transactions - before;

    expect(flood).toHaveLength(N);
    // Every flood request past the address's budget (refilled at so many a minute) is refused without
    // a look-up: a small fraction of a transaction per key.
    expect(used).toBeLessThan(N / 20);
    expect(legitimate.length).toBeGreaterThan(10);
    expect(legitimate.map((a) => a.status)).toEqual(legitimate.map(() => 200));

    // The budget's look-ups answer 401, then 429 with Retry-After and a code.
    const perMinute = LIMITS.authFailuresPerMinute.default;
    const unauthorized = flood.filter((a) => a.status === 401);
    const throttled = flood.filter((a) => a.status === 429);
    expect(unauthorized.length).toBeGreaterThanOrEqual(perMinute);
    expect(unauthorized.length + throttled.length).toBe(N);
    expect(unauthorized.every((a) => a.code === 'UNAUTHORIZED')).toBe(true);
    expect(throttled.every((a) => a.code === 'TOO_MANY_AUTH_FAILURES')).toBe(true);
    for (const a of throttled) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    // The flooding address stays throttled, another address is not. Its bucket refills one look-up every
    // 60/perMinute s, so on a slow machine a look-up or two may be paid for again by now: of 10 requests
    // at once, some are still refused.
    const again = await Promise.all(
      Array.from({ length: 10 }, () => get(t.url, '/v1/usage', randomKey(), '127.0.0.2')),
    );
    expect(again.map((a) => a.code)).toContain('TOO_MANY_AUTH_FAILURES');
    expect((await get(t.url, '/v1/usage', randomKey(), '127.0.0.3')).code).toBe('UNAUTHORIZED');
  });

  it('refuses a prefix found unknown without asking the database again', async () => {
    const unknown = randomKey();
    expect((await get(t.url, '/v1/usage', unknown, '127.0.0.4')).code).toBe('UNAUTHORIZED');
    const before = transactions;
    for (let i = 0; i < 20; i++) {
      const from = `127.0.1.${i + 1}`;
      expect((await get(t.url, '/v1/usage', unknown, from)).code).toBe('UNAUTHORIZED');
    }
    expect(transactions - before).toBe(0);
  });

  it('accepts a key created after its prefix was found unknown as soon as its creation is heard', async () => {
    const { organization } = await t.key('late-key', { scopes: ['files:read'] });
    const prefix = randomBytes(6).toString('hex');
    const key = randomKey(prefix);
    expect((await get(t.url, '/v1/usage', key, '127.0.0.5')).code).toBe('UNAUTHORIZED');
    expect((await get(t.url, '/v1/usage', key, '127.0.0.5')).code).toBe('UNAUTHORIZED');
    await createKeyWithPrefix(t.env.services.pool, organization.id, key);
    // Well within the 5 s for which the prefix was remembered as unknown.
    const created = Date.now();
    await waitFor(
      async () => (await get(t.url, '/v1/usage', key, '127.0.0.5')).status === 200,
      NOTIFIED_WITHIN_MS,
    );
    expect(Date.now() - created).toBeLessThan(NOTIFIED_WITHIN_MS);
  });
});

describe('unknown keys across server processes', () => {
  let home: string;
  let servers: ServeProcess[] = [];
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'ingest-serve-'));
    const env = { DATABASE_URL: t.env.url, INGEST_HOME: home, INGEST_LOG_LEVEL: 'warn' };
    servers = await Promise.all([spawnServe(env), spawnServe(env)]);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await rm(home, { recursive: true, force: true });
  });

  it('accept a key created after both found its prefix unknown, in each process', async () => {
    const { organization } = await t.key('late-key-2', { scopes: ['files:read'] });
    const key = randomKey();
    for (const server of servers) {
      expect((await get(server.url, '/v1/usage', key, '127.0.0.6')).code).toBe('UNAUTHORIZED');
      expect((await get(server.url, '/v1/usage', key, '127.0.0.6')).code).toBe('UNAUTHORIZED');
    }
    await createKeyWithPrefix(t.env.services.pool, organization.id, key);
    const created = Date.now();
    for (const server of servers) {
      await waitFor(
        async () => (await get(server.url, '/v1/usage', key, '127.0.0.6')).status === 200,
        NOTIFIED_WITHIN_MS,
      );
    }
    expect(Date.now() - created).toBeLessThan(NOTIFIED_WITHIN_MS);
  });
});

/**
 * Stores `key` (whose prefix a server may have found unknown) for the organization, as key create does: as
 * the login role, since the application role may not insert keys.
 */
async function createKeyWithPrefix(
  pool: import('pg').Pool,
  organizationId: string,
  key: string,
): Promise<void> {
  const [, prefix = '', secret = ''] = /^ik_([0-9a-f]{12})_(.+)$/.exec(key) ?? [];
  await insertApiKey(pool, {
    organizationId,
    name: 'late',
    prefix,
    secretSha256: hashSecret(secret),
    scopes: ALL_SCOPES.filter((s) => s === 'files:read'),
  });
}
