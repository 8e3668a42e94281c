import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from './support/s3-server.js';
import { json, NO_TRACES, startTestServer, type TestServer } from './support/server.js';

let s3: TestS3Server;
let t: TestServer;
const csv = Buffer.from('id,name\n1,alice\n2,bob\n3,carol\n');

beforeAll(async () => {
  s3 = await startS3Server('ingest-store');
  await s3.client.send(new CreateBucketCommand({ Bucket: 'incoming' }));
  await s3.client.send(new CreateBucketCommand({ Bucket: 'private' }));
  for (const bucket of ['incoming', 'private', 'ingest-store']) {
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'exports/people.csv', Body: csv }));
  }
  // An organization imports only under its own slug's prefix of an allowed bucket.
  await s3.client.send(
    new PutObjectCommand({ Bucket: 'incoming', Key: 'importer/exports/people.csv', Body: csv }),
  );
  t = await startTestServer({
    imports: {
      // The store's own bucket is listed on purpose: it must stay refused all the same.
      buckets: ['incoming', 'ingest-store'],
      s3: { bucket: 'ingest-store', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
    },
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

const importing = (key: string, body: unknown, query = '') =>
  t.request(`/v1/files/import${query}`, key, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

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
