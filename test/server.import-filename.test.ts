import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImportServer } from './support/import-server.js';
import type { TestS3Server } from './support/s3-server.js';
import { json, type TestServer } from './support/server.js';

/** An imported file's name is cleaned exactly as an uploaded one's: base name, no control characters. */
let s3: TestS3Server;
let t: TestServer;

beforeAll(async () => {
  ({ s3, t } = await startImportServer({
    buckets: { incoming: { 'namer/a.csv': 'id\n1\n', 'namer/b.csv': 'id\n2\n' } },
  }));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

describe('POST /v1/files/import ?filename=', () => {
  it('stores a name with a path and CR/LF cleaned, as an upload does', async () => {
    const { key } = await t.key('namer');
    const hostile = '../../etc/passwd\r\nX-Evil: 1';
    const query = `?filename=${encodeURIComponent(hostile)}`;
    const imported = await t.request(`/v1/files/import${query}`, key, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 's3://incoming/namer/a.csv' }),
    });
    expect(imported.status).toBe(201);
    const uploaded = await t.request(`/v1/files${query}`, key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'id\n3\n',
    });
    expect(uploaded.status).toBe(201);
    const importedBody = await json(imported);
    expect(importedBody.filename).toBe('passwdX-Evil: 1');
    expect(importedBody.filename).toBe((await json(uploaded)).filename);
    const stored = await json(await t.request(`/v1/files/${importedBody.fileId}`, key));
    expect(stored.filename).toBe('passwdX-Evil: 1');

    const backslashes = await t.request(
      `/v1/files/import?filename=${encodeURIComponent('..\\..\\x\u0007.csv')}`,
      key,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 's3://incoming/namer/b.csv' }),
      },
    );
    expect(backslashes.status).toBe(201);
    expect((await json(backslashes)).filename).toBe('x.csv');
  });
});
