import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInto, startImportServer } from './support/import-server.js';
import type { TestS3Server } from './support/s3-server.js';
import { json, NO_TRACES, type TestServer } from './support/server.js';

let s3: TestS3Server;
let t: TestServer;
const csv = Buffer.from('id,name\n1,alice\n2,bob\n3,carol\n');

beforeAll(async () => {
  ({ s3, t } = await startImportServer({
    buckets: {
      // An organization imports only under its own slug's prefix of an allowed bucket.
      incoming: { 'exports/people.csv': csv, 'importer/exports/people.csv': csv },
      private: { 'exports/people.csv': csv },
      'ingest-store': { 'exports/people.csv': csv },
    },
    // The store's own bucket is listed on purpose: it must stay refused all the same.
    allowed: ['incoming', 'ingest-store'],
  }));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

const importing = (key: string, body: unknown, query = '') => importInto(t, key, body, query);

describe('POST /v1/files/import', () => {
  it('ingests an object from an allowed bucket, then answers a second import as a duplicate', async () => {
    const { key, organization } = await t.key('importer');
    const res = await importing(key, { url: 's3://incoming/importer/exports/people.csv' }, '?audit=nightly');
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({
      organization: 'importer',
      filename: 'people.csv',
      sha256: createHash('sha256').update(csv).digest('hex'),
      duplicate: false,
      rows: 3,
      columns: 2,
    });
    const content = await t.request(`/v1/files/${body.fileId}/content`, key);
    expect(Buffer.from(await content.arrayBuffer()).equals(csv)).toBe(true);

    const again = await importing(key, { url: 's3://incoming/importer/exports/people.csv' });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ duplicate: true, fileId: body.fileId });
    expect((await t.traces(organization.id)).files).toBe(1);
  });

  it('refuses buckets not listed, and always the store bucket that holds every tenant', async () => {
    const { key, organization } = await t.key('prowler');
    for (const url of ['s3://private/exports/people.csv', 's3://ingest-store/exports/people.csv']) {
      const res = await importing(key, { url });
      expect(res.status).toBe(403);
      expect((await json(res)).error).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
  });

  it('answers a missing object with 404 SOURCE_NOT_FOUND and a bad body with 400, leaving nothing', async () => {
    const { key, organization } = await t.key('mistyped');
    const missing = await importing(key, { url: 's3://incoming/mistyped/exports/nope.csv' });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error).toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    for (const body of [{}, { url: 'https://example.com/a.csv' }, { url: 's3://incoming' }]) {
      const res = await importing(key, body);
      expect(res.status).toBe(400);
      expect((await json(res)).error).toMatchObject({ code: 'INVALID_OPTION' });
    }
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
  });

  it('needs files:write', async () => {
    const { key } = await t.key('reader', { scopes: ['files:read'] });
    const res = await importing(key, { url: 's3://incoming/reader/exports/people.csv' });
    expect(res.status).toBe(403);
  });
});
