import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/db/index.js';
import { csvOfSize, openUpload } from './support/raw-http.js';
import { json, NO_TRACES, startTestServer, type TestServer, waitFor } from './support/server.js';

const MAX_UPLOAD = 256 * 1024;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxUploadBytes: MAX_UPLOAD });
});
afterAll(async () => {
  await t?.close();
});

async function quotaOrg(slug: string, quota: number) {
  const organization = await createOrganization(t.env.admin, { slug, storageQuotaBytes: quota });
  return t.key(organization);
}

describe('upload limits', () => {
  it('answers 413 UPLOAD_TOO_LARGE past the maximum upload size and keeps nothing', async () => {
    const { key, organization } = await t.key('too-large');
    const res = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csvOfSize(MAX_UPLOAD + 10_000),
    });
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('UPLOAD_TOO_LARGE');
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    // Exactly the maximum is fine.
    const fits = csvOfSize(MAX_UPLOAD - 100);
    const ok = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: fits,
    });
    expect(ok.status).toBe(201);
  });

  it('answers 413 for a multipart file past the maximum, 403 past the quota, 400 without a file field', async () => {
    const { key, organization } = await t.key('too-large-multipart');
    const form = new FormData();
    form.append('file', new Blob([csvOfSize(MAX_UPLOAD + 10_000, 4)]), 'big.csv');
    const res = await t.request('/v1/files', key, { method: 'POST', body: form });
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('UPLOAD_TOO_LARGE');
    const noFile = new FormData();
    noFile.append('notes', 'no file here');
    const refused = await t.request('/v1/files', key, { method: 'POST', body: noFile });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toMatchObject({ code: 'INVALID_OPTION', option: 'file' });
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);

    const quota = await quotaOrg('quota-multipart', 20_000);
    const overQuota = new FormData();
    overQuota.append('file', new Blob([csvOfSize(30_000, 5)]), 'over.csv');
    const res2 = await t.request('/v1/files', quota.key, { method: 'POST', body: overQuota });
    expect(res2.status).toBe(403);
    expect((await json(res2)).error.code).toBe('QUOTA_EXCEEDED');
    expect(await t.traces(quota.organization.id)).toEqual(NO_TRACES);
  });

  it('refuses an upload over quota from its Content-Length before the body is sent', async () => {
    const { key, organization } = await quotaOrg('quota-declared', 50_000);
    const { req, response } = openUpload(`${t.url}/v1/files`, key, { 'content-length': '100000' });
    req.write(csvOfSize(1000));
    // The body is incomplete: only an early refusal can answer now.
    const res = await response;
    req.destroy();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
  });

  it('refuses a chunked upload as soon as the streamed bytes pass the quota', async () => {
    // The first file stores about 88 KB (original, chunks, metric rows), leaving about 40 KB.
    const { key, organization } = await quotaOrg('quota-streamed', 128_000);
    const first = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csvOfSize(60_000, 1),
    });
    expect(first.status).toBe(201);
    const firstResult = await json(first);
    const firstBytes: number = firstResult.bytes;

    const { req, response } = openUpload(`${t.url}/v1/files`, key);
    let answered = false;
    response.finally(() => (answered = true)).catch(() => undefined);
    const piece = csvOfSize(16 * 1024, 2);
    let sent = 0;
    // Keep sending until the server answers; it must answer long before the 1 MB mark.
    while (!answered && sent < 1024 * 1024) {
      await new Promise<void>((resolve) => req.write(piece, () => resolve()));
      sent += piece.length;
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await response;
    req.destroy();
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('QUOTA_EXCEEDED');
    expect(sent).toBeLessThan(1024 * 1024);
    const traces = await t.traces(organization.id);
    expect(traces).toMatchObject({ files: 1, spool: 0 });
    // The quota counts what the first file stores: its original, chunk payloads and metric rows.
    const { rows } = await t.env.admin.query<{ charged: string }>(
      'SELECT charged_bytes AS charged FROM storage_meta.files WHERE id = $1',
      [firstResult.fileId],
    );
    const firstCharged = Number(rows[0]?.charged);
    expect(firstCharged).toBeGreaterThan(firstBytes + (firstResult.storedBytes as number));
    const usage = await json(await t.request('/v1/usage', key));
    expect(usage).toEqual({
      organization: 'quota-streamed',
      usedBytes: firstCharged,
      quotaBytes: 128_000,
      remainingBytes: 128_000 - firstCharged,
    });
  });

  it('never lets uploads running side by side pass the quota together', async () => {
    // Each 40 KB file stores about 61 KB (original, chunks, metric rows): two fit, three do not.
    const { key, organization } = await quotaOrg('quota-concurrent', 150_000);
    const bodies = [0, 1, 2, 3].map((i) => csvOfSize(40_000, 10 + i));
    const responses = await Promise.all(
      bodies.map((body) =>
        t.request('/v1/files', key, { method: 'POST', headers: { 'content-type': 'text/csv' }, body }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 403, 403]);
    for (const r of responses.filter((r) => r.status === 403)) {
      expect((await json(r)).error.code).toBe('QUOTA_EXCEEDED');
    }
    expect(await t.traces(organization.id)).toMatchObject({ files: 2, objects: 2, spool: 0 });
    const usage = await json(await t.request('/v1/usage', key));
    expect(usage.usedBytes).toBeLessThanOrEqual(150_000);
  });

  it('keeps nothing when the client disconnects while its body is being received', async () => {
    const { key, organization } = await t.key('abort-receiving');
    const { req, response } = openUpload(`${t.url}/v1/files`, key);
    response.catch(() => undefined);
    req.write(csvOfSize(64 * 1024));
    await waitFor(async () => (await readdir(t.env.services.spoolDir).catch(() => [])).length > 0);
    req.destroy();
    await waitFor(async () => (await readdir(t.env.services.spoolDir)).length === 0);
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
  });

  it('keeps nothing when the client disconnects while the file is being processed', async () => {
    // A file large enough (24 MB) to be caught while processing; the shared server's limit is lower.
    const local = await startTestServer({ maxUploadBytes: 64 * 1024 * 1024 });
    try {
      const { key: bigKey, organization: bigOrg } = await local.key('abort-processing');
      const { req, response } = openUpload(`${local.url}/v1/files`, bigKey);
      response.catch(() => undefined);
      req.end(csvOfSize(24 * 1024 * 1024, 3));
      await waitFor(
        async () =>
          (
            await local.env.admin.query(
              `SELECT 1 FROM storage_meta.files WHERE organization_id = $1 AND status = 'processing'`,
              [bigOrg.id],
            )
          ).rowCount === 1,
        20_000,
      );
      req.destroy();
      // The row goes first (rolled back and deleted), then the spool file.
      await waitFor(
        async () => JSON.stringify(await local.traces(bigOrg.id)) === JSON.stringify(NO_TRACES),
        20_000,
      );
      const { rows } = await local.env.admin.query(
        `SELECT action, details->>'code' AS code FROM logs.activity_log
         WHERE organization_id = $1 AND target_type = 'file'`,
        [bigOrg.id],
      );
      expect(rows).toEqual([{ action: 'file.ingest_failed', code: 'CANCELLED' }]);
    } finally {
      await local.close();
    }
  });
});
