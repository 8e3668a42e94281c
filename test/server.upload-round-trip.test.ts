import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPoolReleased } from './support/database.js';
import { json, NO_TRACES, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('POST /v1/files then read it back', () => {
  it('uploads a raw text/csv body, then lists, gets, exports, measures and deletes the file', async () => {
    const { key, id: keyId, organization } = await t.key('round-trip');
    const sample = await readFile('fixtures/sample.csv');

    const created = await t.request('/v1/files?filename=sample.csv&audit=q4', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: sample,
    });
    expect(created.status).toBe(201);
    const result = await json(created);
    expect(result).toMatchObject({
      organization: 'round-trip',
      filename: 'sample.csv',
      sha256: sha256(sample),
      duplicate: false,
      bytes: sample.length,
      rows: 10,
      columns: 8,
      rejectedRows: 0,
    });
    // The same fields as `ingest --json`.
    for (const field of ['fileId', 'chunks', 'storedBytes', 'seconds', 'encoding', 'delimiter'])
      expect(result).toHaveProperty(field);
    const fileId: string = result.fileId;

    const again = await t.request('/v1/files?filename=again.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: sample,
    });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ duplicate: true, fileId, rows: 10 });

    const list = await t.request('/v1/files', key);
    expect(list.status).toBe(200);
    const listed = await json(list);
    expect(listed.nextCursor).toBeNull();
    expect(listed.files).toEqual([
      expect.objectContaining({
        fileId,
        filename: 'sample.csv',
        status: 'ready',
        rows: 10,
        bytes: sample.length,
      }),
    ]);

    const got = await t.request(`/v1/files/${fileId}`, key);
    expect(got.status).toBe(200);
    const detail = await json(got);
    expect(detail).toMatchObject({ fileId, status: 'ready', delimiter: ',', encoding: 'utf-8' });
    expect(detail.schema).toHaveLength(8);
    expect(detail.auditId).toMatch(/^[0-9a-f-]{36}$/);

    const metrics = await t.request(`/v1/files/${fileId}/metrics`, key);
    expect(metrics.status).toBe(200);
    const body = await json(metrics);
    expect(body.fileId).toBe(fileId);
    expect(body.metrics).toContainEqual(
      expect.objectContaining({ metricType: 'row_count', numericValue: 10 }),
    );

    const content = await t.request(`/v1/files/${fileId}/content`, key);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(content.headers.get('content-disposition')).toContain('sample.csv');
    expect(Buffer.from(await content.arrayBuffer()).equals(sample)).toBe(true);

    // The quota counts what the file stores: its original, chunk payloads and metric rows.
    const { rows: charged } = await t.env.admin.query<{ charged: string }>(
      'SELECT charged_bytes AS charged FROM storage_meta.files WHERE id = $1',
      [fileId],
    );
    const usedBytes = Number(charged[0]!.charged);
    expect(usedBytes).toBeGreaterThan(sample.length + (result.storedBytes as number));
    const usage = await json(await t.request('/v1/usage', key));
    expect(usage).toEqual({
      organization: 'round-trip',
      usedBytes,
      quotaBytes: null,
      remainingBytes: null,
    });

    const deleted = await t.request(`/v1/files/${fileId}`, key, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await json(deleted)).toEqual({ fileId, deleted: true });
    expect((await t.request(`/v1/files/${fileId}`, key)).status).toBe(404);
    expect((await t.request(`/v1/files/${fileId}`, key, { method: 'DELETE' })).status).toBe(404);
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    expect((await json(await t.request('/v1/usage', key))).usedBytes).toBe(0);

    // Each upload and the delete are in the activity log, with the key and the client's address.
    const { rows } = await t.env.admin.query(
      `SELECT action, api_key_id, client_address, target_id FROM logs.activity_log
       WHERE organization_id = $1 AND target_type = 'file' ORDER BY created_at`,
      [organization.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['file.ingest', 'file.ingest_duplicate', 'file.delete']);
    for (const r of rows) {
      expect(r).toMatchObject({ api_key_id: keyId, client_address: '127.0.0.1', target_id: fileId });
    }
    assertPoolReleased(t.env.services.pool);
  });

  it('uploads a multipart file field, keeps its name and rebuilds it, normalized on request', async () => {
    const { key } = await t.key('multipart');
    const bytes = await readFile('fixtures/bom-semicolon-crlf.csv');
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'text/csv' }), 'cities.csv');
    const created = await t.request('/v1/files', key, { method: 'POST', body: form });
    expect(created.status).toBe(201);
    const result = await json(created);
    expect(result).toMatchObject({ filename: 'cities.csv', rows: 3, columns: 3, delimiter: ';' });

    const original = await t.request(`/v1/files/${result.fileId}/content`, key);
    expect(Buffer.from(await original.arrayBuffer()).equals(bytes)).toBe(true);
    const normalized = await t.request(`/v1/files/${result.fileId}/content?normalize=true`, key);
    expect(await normalized.text()).toBe(
      'id,city,population\n1,Paris,2161000\n2,Saint-Denis; Seine,112000\n3,Lyon,516000\n',
    );
  });

  it('pages the list newest first with a cursor', async () => {
    const { key } = await t.key('paging');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.request(`/v1/files?filename=f${i}.csv`, key, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: `n,square\n${i},${i * i}\n`,
      });
      expect(res.status).toBe(201);
      ids.push((await json(res)).fileId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await json(await t.request(`/v1/files?limit=2${query}`, key));
      seen.push(...page.files.map((f: { fileId: string }) => f.fileId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const bad = await t.request('/v1/files?cursor=nonsense', key);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'INVALID_OPTION', option: 'cursor' });
  });

  it('answers bad CSV with 400, the code and the line, and keeps nothing of it', async () => {
    const { key, organization } = await t.key('bad-csv');
    const res = await t.request('/v1/files?filename=bad.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: await readFile('fixtures/field-count-mismatch.csv'),
    });
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error).toMatchObject({ code: 'FIELD_COUNT_MISMATCH', line: 4, file: 'bad.csv' });
    expect(error.message).toContain('line 4');
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);

    const skipped = await t.request('/v1/files?filename=bad.csv&max_errors=5', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: await readFile('fixtures/field-count-mismatch.csv'),
    });
    expect(skipped.status).toBe(201);
    expect((await json(skipped)).rejectedRows).toBe(1);
  });

  it('refuses other media types, unknown query values and unknown routes with JSON errors', async () => {
    const { key } = await t.key('refusals');
    const asJson = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(asJson.status).toBe(415);
    expect((await json(asJson)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const policy = await t.request('/v1/files?on_error=maybe', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a\n1\n',
    });
    expect(policy.status).toBe(400);
    expect((await json(policy)).error).toMatchObject({ code: 'INVALID_OPTION', option: 'on_error' });
    const empty = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: '',
    });
    expect(empty.status).toBe(400);
    expect((await json(empty)).error.code).toBe('EMPTY_FILE');
    const missing = await t.request('/v1/nothing-here', key);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('answers /healthz and /readyz without a key', async () => {
    const health = await t.request('/healthz', undefined);
    expect(health.status).toBe(200);
    expect(await json(health)).toEqual({ status: 'ok' });
    const ready = await t.request('/readyz', undefined);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ready' });
  });
});
