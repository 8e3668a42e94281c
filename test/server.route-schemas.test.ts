import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvOfSize, openUpload } from './support/raw-http.js';
import { json, NO_TRACES, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let key: string;
beforeAll(async () => {
  t = await startTestServer();
  ({ key } = await t.key('route-schemas'));
});
afterAll(async () => {
  await t?.close();
});

const csv = (path: string, body = 'a,b\n1,2\n') =>
  t.request(path, key, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

/** A 400 INVALID_OPTION whose context and message name `option`, and whose message repeats `shown`. */
async function expectRefused(res: Response, option: string, shown: string): Promise<void> {
  const body = await json(res);
  expect(res.status, JSON.stringify(body)).toBe(400);
  expect(body.error).toMatchObject({ code: 'INVALID_OPTION', option });
  expect(body.error.message).toContain(option);
  expect(body.error.message).toContain(shown);
}

describe('route schemas', () => {
  it('GET /v1/files refuses a bad limit or cursor, naming it', async () => {
    for (const [query, shown] of [
      ['limit=0', '0'],
      ['limit=1001', '1001'],
      ['limit=abc', 'abc'],
      // Digits only, as the query string spells it: no exponent, sign, fraction or spaces.
      ['limit=1e2', '1e2'],
      ['limit=%2B5', '+5'],
      ['limit=5.0', '5.0'],
      ['limit=%205', ' 5'],
      ['limit=', '""'],
      ['limit=1&limit=2', '["1","2"]'],
    ]) {
      await expectRefused(await t.request(`/v1/files?${query}`, key), 'limit', shown!);
    }
    await expectRefused(await t.request('/v1/files?cursor=', key), 'cursor', '""');
    await expectRefused(await t.request(`/v1/files?cursor=${'x'.repeat(201)}`, key), 'cursor', 'xxx');
    // Well-formed text that is no cursor of this server's: the handler's check, with the same answer.
    const bad = await t.request('/v1/files?cursor=nonsense', key);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatchObject({ code: 'INVALID_OPTION', option: 'cursor' });
  });

  it('GET /v1/files accepts the limits the query parser accepted', async () => {
    for (const limit of ['1', '007', '1000']) {
      const res = await t.request(`/v1/files?limit=${limit}`, key);
      expect(res.status, limit).toBe(200);
    }
  });

  it('GET /v1/files/:id/content refuses a bad normalize and reads every boolean spelling', async () => {
    const fileId: string = (await json(await csv('/v1/files?filename=n.csv', 'x,y\n"1",2\n'))).fileId;
    await expectRefused(
      await t.request(`/v1/files/${fileId}/content?normalize=maybe`, key),
      'normalize',
      'maybe',
    );
    await expectRefused(
      await t.request(`/v1/files/${fileId}/content?normalize=true&normalize=false`, key),
      'normalize',
      '["true","false"]',
    );
    for (const [word, normalized] of [
      ['YES', true],
      ['True', true],
      ['1', true],
      ['no', false],
      ['FALSE', false],
      ['0', false],
    ] as const) {
      const res = await t.request(`/v1/files/${fileId}/content?normalize=${word}`, key);
      expect(res.status, word).toBe(200);
      // The original keeps the quotes; the normalized records need none.
      expect((await res.text()).includes('"1"'), word).toBe(!normalized);
    }
  });

  it('a file id that is not a UUID is no file: 404 FILE_NOT_FOUND on every :id route, not a 400', async () => {
    for (const [method, path] of [
      ['GET', '/v1/files/not-a-uuid'],
      ['GET', '/v1/files/not-a-uuid/metrics'],
      ['GET', '/v1/files/not-a-uuid/content'],
      ['DELETE', '/v1/files/not-a-uuid'],
    ]) {
      const res = await t.request(path!, key, { method: method! });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((await json(res)).error.code).toBe('FILE_NOT_FOUND');
    }
  });

  it('POST /v1/files refuses a bad filename, audit, on_error or max_errors, naming it, and keeps nothing', async () => {
    const { key: uploader, organization } = await t.key('route-schemas-upload');
    const upload = (query: string) =>
      t.request(`/v1/files?${query}`, uploader, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: 'a,b\n1,2\n',
      });
    for (const [query, option, shown] of [
      ['filename=', 'filename', '""'],
      [`filename=${'f'.repeat(256)}`, 'filename', 'fff'],
      ['filename=a.csv&filename=b.csv', 'filename', '["a.csv","b.csv"]'],
      [`audit=${'a'.repeat(201)}`, 'audit', 'aaa'],
      ['on_error=maybe', 'on_error', 'maybe'],
      ['max_errors=-1', 'max_errors', '-1'],
      ['max_errors=1.5', 'max_errors', '1.5'],
      ['max_errors=9007199254740992', 'max_errors', '9007199254740992'],
    ]) {
      await expectRefused(await upload(query!), option!, shown!);
    }
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    // The bounds themselves are fine.
    const fits = await upload(`filename=${'f'.repeat(255)}&audit=${'a'.repeat(200)}&max_errors=0`);
    expect(fits.status).toBe(201);
  });

  it('POST /v1/files answers a bad query before reading the body', async () => {
    const { req, response } = openUpload(`${t.url}/v1/files?on_error=maybe`, key, {
      'content-length': '1000000',
    });
    req.write(csvOfSize(1000));
    // The body is incomplete: only a refusal before the body is read can answer now.
    const res = await response;
    req.destroy();
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'INVALID_OPTION', option: 'on_error' });
    expect(res.headers.connection).toBe('close');
  });

  it('POST /v1/files/import refuses a body without a text url, and a bad query, naming them', async () => {
    const { key: importer, organization } = await t.key('route-schemas-import');
    const post = (path: string, body: string) =>
      t.request(path, importer, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const [body, shown] of [
      ['{}', 'url is required'],
      ['{"url": 5}', '5'],
      ['{"url": null}', 'url must be an s3://bucket/key URL'],
      ['{"url": "https://example.com/a.csv"}', '"https://example.com/a.csv"'],
      ['{"url": "s3://incoming"}', '"s3://incoming"'],
      // A list of one is not coerced to its element.
      ['{"url": ["s3://incoming/a.csv"]}', '["s3://incoming/a.csv"]'],
      ['[]', '[]'],
      ['"s3://incoming/a.csv"', '"s3://incoming/a.csv"'],
    ]) {
      await expectRefused(await post('/v1/files/import', body!), 'url', shown!);
    }
    await expectRefused(
      await post('/v1/files/import?max_errors=x', '{"url": "s3://incoming/a.csv"}'),
      'max_errors',
      'x',
    );
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
    // A CSV sent to the import endpoint is no JSON object either (the request stream it arrives as has a
    // `url` of its own, the path, which is no s3:// URL).
    await expectRefused(await csv('/v1/files/import'), 'url', 'url must be an s3://bucket/key URL');
    // A good body passes the schema: this server imports from no bucket.
    expect((await post('/v1/files/import', '{"url": "s3://incoming/a.csv"}')).status).toBe(403);
  });
});
