import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coerceError } from '../src/errors.js';
import { withClient } from './support/database.js';
import { json, NO_TRACES, startTestServer, type TestServer, waitFor } from './support/server.js';

/**
 * Requests that once answered 500 (or a wrong 404) with PostgreSQL's own words: each is now a coded 4xx,
 * or a 503 when the database is what failed, and no response carries PostgreSQL's message text.
 */

let t: TestServer;
let key: string;
let orgId: string;

beforeAll(async () => {
  t = await startTestServer();
  const created = await t.key('errors');
  key = created.key;
  orgId = created.organization.id;
});
afterAll(async () => {
  await t?.close();
});

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
const ID = '00000000-0000-4000-8000-000000000000';

describe('a forged file-list cursor', () => {
  it.each([
    ['past bigint', `99999999999999999999.${ID}`],
    ['the largest bigint', `9223372036854775807.${ID}`],
    ['the smallest bigint', `-9223372036854775808.${ID}`],
    ['before year 1', `-99999999999999999.${ID}`],
  ])('with a time %s is 400 INVALID_OPTION', async (_name, text) => {
    const res = await t.request(`/v1/files?cursor=${cursorOf(text)}`, key);
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatchObject({ code: 'INVALID_OPTION', option: 'cursor' });
  });

  it('that this server could have returned still pages', async () => {
    const micros = String(Date.UTC(2020, 0, 1) * 1000);
    const res = await t.request(`/v1/files?cursor=${cursorOf(`${micros}.${ID}`)}`, key);
    expect(res.status).toBe(200);
  });
});

describe('a malformed multipart upload', () => {
  const part = (boundary: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n` +
    'Content-Type: text/csv\r\n\r\na,b\n1,2\n';

  it('without a boundary is 400 INVALID_MULTIPART', async () => {
    const res = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: part('X'),
    });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('INVALID_MULTIPART');
    expect(await t.traces(orgId)).toEqual(NO_TRACES);
  });

  it('that ends before its closing boundary is 400 INVALID_MULTIPART and leaves nothing', async () => {
    const res = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=X' },
      body: part('X'),
    });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('INVALID_MULTIPART');
    expect(await t.traces(orgId)).toEqual(NO_TRACES);
  });

  it('that is complete still uploads', async () => {
    const res = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=X' },
      body: `${part('X')}\r\n--X--\r\n`,
    });
    expect(res.status).toBe(201);
  });
});

describe('a database error', () => {
  /** A real error of PostgreSQL for `sql`. */
  async function postgresError(sql: string): Promise<unknown> {
    return withClient(t.env.url, (client) =>
      client.query(sql).then(
        () => new Error('no error'),
        (err) => err,
      ),
    );
  }

  it('of class 22 (a value out of range or malformed) is 400 INVALID_VALUE, without its text', async () => {
    for (const sql of [
      'SELECT 99999999999999999999::bigint',
      "SELECT 'x'::uuid",
      "SELECT timestamptz 'epoch' + 9223372036854775807 * interval '1 microsecond'",
    ]) {
      const err = await postgresError(sql);
      const coerced = coerceError(err);
      expect(coerced.code, sql).toBe('INVALID_VALUE');
      expect(coerced.status).toBe(400);
      expect(coerced.message).not.toContain((err as Error).message);
      expect(coerced.cause).toBe(err);
    }
  });

  it('of serialization or deadlock is DATABASE_UNAVAILABLE (retry), and any other stays a 500', async () => {
    expect(coerceError(Object.assign(new Error('x'), { code: '40001' })).code).toBe('DATABASE_UNAVAILABLE');
    expect(coerceError(Object.assign(new Error('x'), { code: '40P01' })).code).toBe('DATABASE_UNAVAILABLE');
    expect(coerceError(Object.assign(new Error('x'), { code: '53300' })).code).toBe('DATABASE_UNAVAILABLE');
    expect(coerceError(Object.assign(new Error('x'), { code: '08006' })).code).toBe('DATABASE_UNAVAILABLE');
    const missing = coerceError(await postgresError('SELECT * FROM no_such_table'));
    expect(missing.code).toBe('DATABASE_ERROR');
    expect(missing.status).toBe(500);
  });
});

describe('a database outage', () => {
  const serverUrl = () => {
    const url = new URL(t.env.url);
    url.pathname = '/postgres';
    return url.toString();
  };
  const databaseName = () => decodeURIComponent(new URL(t.env.url).pathname.slice(1));

  it('answers authenticated requests and /readyz 503 DATABASE_UNAVAILABLE with Retry-After, never with PostgreSQL text', async () => {
    // One key the server has seen (its principal may be cached) and one it has not.
    expect((await t.request('/v1/usage', key)).status).toBe(200);
    const fresh = await t.key('errors-fresh');
    const name = databaseName();
    await withClient(serverUrl(), async (admin) => {
      await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} ALLOW_CONNECTIONS false`);
      try {
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
          [name],
        );
        for (const [path, k] of [
          ['/v1/usage', key],
          ['/v1/files', key],
          ['/v1/usage', fresh.key],
          ['/readyz', undefined],
        ] as const) {
          const res = await t.request(path, k);
          const text = await res.text();
          expect(res.status, `${path}: ${text}`).toBe(503);
          expect(JSON.parse(text).error.code).toBe('DATABASE_UNAVAILABLE');
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(text).not.toContain(name);
          expect(text).not.toMatch(/accepting connections|terminat|55000|57P01/i);
        }
      } finally {
        await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(name)} ALLOW_CONNECTIONS true`);
      }
    });
    // Back once the database is: the pool opens new connections.
    await waitFor(async () => (await t.request('/v1/usage', fresh.key)).status === 200);
    expect((await t.request('/readyz', undefined)).status).toBe(200);
  });
});
