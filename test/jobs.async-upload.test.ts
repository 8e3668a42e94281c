import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer, waitFor } from './support/server.js';

function csv(rows: number): string {
  const lines = ['id,name,amount'];
  for (let i = 0; i < rows; i++) lines.push(`${i},name ${i},${(i * 1.5).toFixed(2)}`);
  return `${lines.join('\n')}\n`;
}

describe('async ingestion through the job queue', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ jobs: { asyncThresholdBytes: 50_000 } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  async function finished(key: string, location: string): Promise<Record<string, unknown>> {
    let body: Record<string, unknown> = {};
    await waitFor(async () => {
      body = (await json(await t.request(location, key))) as Record<string, unknown>;
      return ['succeeded', 'failed', 'cancelled'].includes(String(body.state));
    }, 30_000);
    return body;
  }

  it('POST /v1/files?async=true answers 202 with Location; the job ends with the file ready', async () => {
    const { key, organization } = await t.key('async-org');
    const body = csv(500);
    const res = await t.request('/v1/files?async=true&filename=a.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body,
    });
    expect(res.status).toBe(202);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/v1\/jobs\/[0-9a-f-]{36}$/);
    const job = await finished(key, location);
    expect(job.state).toBe('succeeded');
    expect(job.error).toBeNull();
    expect(job.progress).toMatchObject({ rows: 500, totalBytes: Buffer.byteLength(body) });
    const result = job.result as { sha256: string; fileId: string };
    expect(result.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    const file = await json(await t.request(`/v1/files/${result.fileId}`, key));
    expect(file).toMatchObject({ status: 'ready' });
    // The staged bytes are gone once the job succeeded: only the original remains in the store.
    const keys: string[] = [];
    for await (const k of t.env.services.store.list(`orgs/${organization.id}/jobs/`)) keys.push(k);
    expect(keys).toEqual([]);

    // Another organization's key sees no such job.
    const other = await t.key('async-other');
    const hidden = await t.request(location, other.key);
    expect(hidden.status).toBe(404);
    expect((await json(hidden)).error?.code).toBe('JOB_NOT_FOUND');
  }, 60_000);

  it('an upload declaring more than INGEST_ASYNC_THRESHOLD runs as a job without ?async', async () => {
    const { key } = await t.key('async-org');
    const body = csv(4000);
    expect(Buffer.byteLength(body)).toBeGreaterThan(50_000);
    const res = await t.request('/v1/files?filename=big.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    expect(res.status).toBe(202);
    const job = await finished(key, res.headers.get('location')!);
    expect(job.state).toBe('succeeded');
  }, 60_000);

  it('a bad CSV fails its job with the pipeline code, not a retry loop', async () => {
    const { key } = await t.key('async-org');
    const res = await t.request('/v1/files?async=true&filename=bad.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,2,3\n',
    });
    expect(res.status).toBe(202);
    const job = await finished(key, res.headers.get('location')!);
    expect(job.state).toBe('failed');
    expect(job.attempts).toBe(1);
    expect((job.error as { code: string }).code).toBe('FIELD_COUNT_MISMATCH');
  }, 60_000);
});
