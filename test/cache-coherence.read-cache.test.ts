import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer, waitFor } from './support/server.js';

/**
 * The read cache and the rate-limit leases rest on change notifications (migration 0009). These tests
 * change rows from outside the server (another process, or the login role in SQL) and check that
 * every answer catches up within a notification's delivery, and that nothing is kept while the
 * server's notification connection is down.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

/** Well under the auth cache's 10 s and a rate-limit window: only a notification explains catching up. */
const NOTIFIED_WITHIN_MS = 2_000;

async function upload(key: string, body: string): Promise<string> {
  const res = await t.request('/v1/files?filename=cached.csv', key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body,
  });
  expect(res.status).toBe(201);
  return (await json(res)).fileId;
}

async function rowCountMetric(key: string, fileId: string): Promise<number | null> {
  const res = await t.request(`/v1/files/${fileId}/metrics`, key);
  if (res.status === 404) return null;
  const body = await json(res);
  const found = body.metrics.find((m) => m.metricType === 'row_count');
  return typeof found?.numericValue === 'number' ? found.numericValue : null;
}

async function listedIds(key: string): Promise<string[]> {
  const body = await json(await t.request('/v1/files?limit=10', key));
  return body.files.map((f) => f.fileId);
}

/** Changes a metric behind the triggers' back: no product path does this, so only a re-read shows it. */
async function bumpRowCountMetric(fileId: string): Promise<void> {
  await t.env.admin.query(
    `UPDATE analytics.metrics SET numeric_value = numeric_value + 1000 WHERE file_id = $1 AND metric_type = 'row_count'`,
    [fileId],
  );
}

/** The server's LISTEN connection, as seen by PostgreSQL. */
async function feedBackends(): Promise<number> {
  const { rows } = await t.env.admin.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE application_name = 'ingest-changes' AND datname = current_database()`,
  );
  return rows[0].n;
}

describe('read cache', () => {
  it('answers metrics from memory, and drops them when the file changes in another process', async () => {
    const { key } = await t.key('cache-metrics');
    const fileId = await upload(key, 'id,name\n1,a\n2,b\n3,c\n');
    expect(await rowCountMetric(key, fileId)).toBe(3);

    await bumpRowCountMetric(fileId);
    // Kept: the first answer, although the table now says otherwise.
    expect(await rowCountMetric(key, fileId)).toBe(3);

    // Any change to the file's row notifies; this one leaves the file as it was.
    await t.env.admin.query('UPDATE storage_meta.files SET filename = filename WHERE id = $1', [fileId]);
    await waitFor(async () => (await rowCountMetric(key, fileId)) === 1003, NOTIFIED_WITHIN_MS);

    // Deleted by the CLI, a process of its own: the server's cached answer goes too.
    const cli = await runCli(['delete', fileId], {
      DATABASE_URL: t.env.url,
      INGEST_HOME: t.env.home,
    });
    expect(cli.code, cli.stderr).toBe(0);
    await waitFor(async () => (await rowCountMetric(key, fileId)) === null, NOTIFIED_WITHIN_MS);
  });

  it('drops an organization listing when a file is added or removed', async () => {
    const { key } = await t.key('cache-listing');
    const first = await upload(key, 'a\n1\n');
    expect(await listedIds(key)).toEqual([first]);
    expect(await listedIds(key)).toEqual([first]);
    const second = await upload(key, 'a\n2\n');
    await waitFor(async () => (await listedIds(key)).length === 2, NOTIFIED_WITHIN_MS);
    expect(await listedIds(key)).toEqual([second, first]);
  });

  it("never answers one organization's cached file to another", async () => {
    const owner = await t.key('cache-owner');
    const other = await t.key('cache-other');
    const fileId = await upload(owner.key, 'x,y\n1,2\n');
    expect(await rowCountMetric(owner.key, fileId)).toBe(1);
    expect(await rowCountMetric(owner.key, fileId)).toBe(1);
    // However the id is spelled, one answer, with the id as PostgreSQL writes it.
    const upper = await t.request(`/v1/files/${fileId.toUpperCase()}/metrics`, owner.key);
    expect(upper.status).toBe(200);
    expect((await json(upper)).fileId).toBe(fileId);
    const res = await t.request(`/v1/files/${fileId}/metrics`, other.key);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('FILE_NOT_FOUND');
    expect(await listedIds(other.key)).toEqual([]);
  });

  it('answers from the database while its notification connection is down, and caches again once back', async () => {
    const { key } = await t.key('cache-feed-down');
    const fileId = await upload(key, 'n\n1\n2\n');
    expect(await rowCountMetric(key, fileId)).toBe(2);
    expect(await feedBackends()).toBe(1);

    await t.env.admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'ingest-changes' AND datname = current_database()`,
    );
    // Notifications are lost while down; the server must stop trusting what it kept.
    await bumpRowCountMetric(fileId);
    await waitFor(async () => (await rowCountMetric(key, fileId)) === 1002, NOTIFIED_WITHIN_MS);
    await bumpRowCountMetric(fileId);
    expect(await rowCountMetric(key, fileId)).toBe(2002);

    // It listens again (after 0.5 s) and keeps answers again.
    await waitFor(async () => (await feedBackends()) === 1, 5_000);
    await waitFor(async () => {
      const before = await rowCountMetric(key, fileId);
      await bumpRowCountMetric(fileId);
      return (await rowCountMetric(key, fileId)) === before;
    }, 5_000);
  });
});

describe('rate-limit leases', () => {
  it('counts requests ahead in PostgreSQL and never lets a key past its limit', async () => {
    // 1% of 300: three requests per count.
    const { key, id } = await t.key('leases', { rateLimitPerMinute: 300 });
    const lastUsed = async () =>
      (await t.env.admin.query('SELECT last_used_at FROM tenant.api_keys WHERE id = $1', [id])).rows[0]
        .last_used_at as Date;
    const statuses: number[] = [];
    for (let i = 0; i < 301; i++) statuses.push((await t.request('/v1/usage', key)).status);
    // Every count stamps last_used_at; the refusals after the first are answered without counting.
    const stamped = await lastUsed();
    for (let i = 0; i < 4; i++) statuses.push((await t.request('/v1/usage', key)).status);
    const { rows } = await t.env.admin.query(
      'SELECT sum(request_count)::int AS granted FROM tenant.rate_limit_windows WHERE api_key_id = $1',
      [id],
    );
    // A sliding window: no calendar minute to straddle.
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(statuses.slice(300)).toEqual([429, 429, 429, 429, 429]);
    // 100 counts of 3 used the limit; the one more that found it reached was granted, and recorded,
    // nothing.
    expect(rows[0].granted).toBe(300);
    expect(await lastUsed()).toEqual(stamped);
  });

  it('drops a lease when its key is revoked in another process', async () => {
    const { key, id } = await t.key('lease-revoked', { rateLimitPerMinute: 100_000 });
    expect((await t.request('/v1/usage', key)).status).toBe(200);
    const cli = await runCli(['key', 'revoke', id], { DATABASE_URL: t.env.url, INGEST_HOME: t.env.home });
    expect(cli.code, cli.stderr).toBe(0);
    // The lease held 999 more requests; the revocation's notification ends it.
    await waitFor(async () => (await t.request('/v1/usage', key)).status === 401, NOTIFIED_WITHIN_MS);
  });
});
