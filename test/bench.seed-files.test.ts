import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededMetricRows, seedFiles } from '../bench/seed-files.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('bench seedFiles', () => {
  it('seeds ready files that the API lists page by page and whose metrics it serves', async () => {
    const { key, organization } = await t.key('seeded', { scopes: ['files:read'] });
    const seeded = await seedFiles(t.env.admin, organization.id, 20);
    const template = seededMetricRows();
    expect(seeded.fileIds).toHaveLength(20);
    expect(seeded.metricRows).toBe(20 * template.length);

    const listed: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.request(`/v1/files?limit=7${cursor ? `&cursor=${cursor}` : ''}`, key);
      expect(res.status).toBe(200);
      const body = await json(res);
      for (const f of body.files) {
        expect(f).toMatchObject({ status: 'ready', columns: 12, rows: 3600, chunks: 1 });
        listed.push(f.fileId);
      }
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(listed)).toEqual(new Set(seeded.fileIds));
    // Newest first: the seeded files are a minute apart, filenames numbered oldest first.
    const first = await json(await t.request('/v1/files?limit=2', key));
    expect(first.files.map((f) => f.filename)).toEqual(['seeded-000020.csv', 'seeded-000019.csv']);

    const metrics = await t.request(`/v1/files/${seeded.fileIds[3]}/metrics`, key);
    expect(metrics.status).toBe(200);
    const body = await json(metrics);
    expect(body.metrics).toEqual(template);
  });

  it('answers FILE_NOT_FOUND for another organization’s seeded file', async () => {
    const other = await t.key('seeded-other', { scopes: ['files:read'] });
    const { organization } = await t.key('seeded-owner', { scopes: ['files:read'] });
    const seeded = await seedFiles(t.env.admin, organization.id, 1);
    const res = await t.request(`/v1/files/${seeded.fileIds[0]}/metrics`, other.key);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('FILE_NOT_FOUND');
    expect((await json(await t.request('/v1/files', other.key))).files).toEqual([]);
  });
});
