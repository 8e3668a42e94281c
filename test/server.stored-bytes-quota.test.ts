import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/db/index.js';
import { METRIC_ROW_BYTES } from '../src/ingest/stored-bytes.js';
import { json, NO_TRACES, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

async function quotaOrg(slug: string, quota: number | null) {
  const organization = await createOrganization(t.env.admin, { slug, storageQuotaBytes: quota });
  return t.key(organization);
}

function upload(key: string, body: Buffer, filename = 'upload.csv'): Promise<Response> {
  return t.request(`/v1/files?filename=${filename}`, key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body,
  });
}

/** A header of `columns` distinct names and `rows` rows of numbers: small upload, many metric rows. */
function wideCsv(columns: number, rows: number): Buffer {
  const names = Array.from({ length: columns }, (_, i) => `c${i}`);
  const lines = [names.join(',')];
  for (let r = 0; r < rows; r++) lines.push(names.map((_, i) => String((i * 7 + r) % 1000)).join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function chargedBytes(fileId: string): Promise<number> {
  const { rows } = await t.env.admin.query<{ charged: string }>(
    'SELECT charged_bytes AS charged FROM storage_meta.files WHERE id = $1',
    [fileId],
  );
  return Number(rows[0]?.charged);
}

describe('the storage quota counts stored bytes', () => {
  it('charges a file its original, chunk payloads and metric rows, and /v1/usage reports it', async () => {
    const { key } = await quotaOrg('stored-usage', null);
    const res = await upload(key, wideCsv(1500, 3), 'wide.csv');
    expect(res.status).toBe(201);
    const result = await json(res);
    const { rows } = await t.env.admin.query<{ n: number; relation: string }>(
      `SELECT count(*)::int AS n, pg_total_relation_size('analytics.metrics') AS relation
       FROM analytics.metrics WHERE file_id = $1`,
      [result.fileId],
    );
    const metricRows = rows[0]!.n;
    const charged = await chargedBytes(result.fileId);
    const rowBytes = charged - result.bytes - (result.storedBytes as number);
    // The estimate against what PostgreSQL allocated for the table and its indexes (this database holds
    // only this file's metric rows).
    const actual = Number(rows[0]!.relation);
    console.log(
      `metric rows: ${metricRows}, estimated ${rowBytes} bytes (${(rowBytes / metricRows).toFixed(0)}/row), ` +
        `relation ${actual} bytes (${(actual / metricRows).toFixed(0)}/row), original ${result.bytes} bytes`,
    );
    expect(metricRows).toBeGreaterThan(1500);
    expect(rowBytes).toBeGreaterThanOrEqual(metricRows * METRIC_ROW_BYTES);
    expect(rowBytes).toBeGreaterThan(actual / 2);
    expect(rowBytes).toBeLessThan(actual * 2);
    // Far more than the upload: the quota is charged for all of it.
    expect(charged).toBeGreaterThan(10 * result.bytes);
    const usage = await json(await t.request('/v1/usage', key));
    expect(usage.usedBytes).toBe(charged);
  });

  it('refuses a small upload whose metric rows pass the quota, and leaves nothing', async () => {
    const body = wideCsv(1500, 3);
    // The original fits many times over; what it stores does not.
    const { key, organization } = await quotaOrg('stored-metrics', 4 * body.length);
    const res = await upload(key, body, 'wide.csv');
    expect(res.status).toBe(403);
    expect((await json(res)).error).toMatchObject({ code: 'QUOTA_EXCEEDED', quotaBytes: 4 * body.length });
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    const usage = await json(await t.request('/v1/usage', key));
    expect(usage.usedBytes).toBe(0);
  });

  it('charges a gzip upload for the chunks it inflates into, not for its compressed size', async () => {
    // 16 MiB of identical lines: gzip -9 shrinks them 400 times (42 KB), the stored chunks (gzip -1) 170 times.
    const csv = Buffer.from(`id,label\n${'1,same label on every line\n'.repeat((16 * 1024 * 1024) / 26)}`);
    const gz = gzipSync(csv, { level: 9 });
    const { key, organization } = await quotaOrg('stored-gzip', 2 * gz.length);
    const res = await t.request('/v1/files?filename=big.csv.gz', key, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: gz,
    });
    expect(res.status).toBe(403);
    expect((await json(res)).error.code).toBe('QUOTA_EXCEEDED');
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    // Without a quota it is stored, and charged far more than the compressed bytes sent.
    const free = await quotaOrg('stored-gzip-free', null);
    const ok = await t.request('/v1/files?filename=big.csv.gz', free.key, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: gz,
    });
    expect(ok.status).toBe(201);
    const result = await json(ok);
    expect(result.bytes).toBe(gz.length);
    expect(await chargedBytes(result.fileId)).toBeGreaterThan(2 * gz.length);
    console.log(`gzip upload ${gz.length} bytes -> charged ${await chargedBytes(result.fileId)} bytes`);
  });
});
