import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/storage/index.js';
import { IMPORT_STORE_BUCKET, importInto, startImportServer } from './support/import-server.js';
import type { TestS3Server } from './support/s3-server.js';
import { json, NO_TRACES, type TestServer } from './support/server.js';

/**
 * The import endpoint reads with the server's credentials, which also reach the store's own bucket
 * (every tenant's originals). A URL naming an allowed bucket must not reach another bucket through any
 * spelling that the SDK, a proxy or the S3 server could normalize: `..` segments, percent-encoding,
 * backslashes, empty segments, other cases or trailing dots of the store bucket's name.
 */
let s3: TestS3Server;
let t: TestServer;
const STORE = IMPORT_STORE_BUCKET;
const victimCsv = Buffer.from('account,balance\nvictim-1,1000000\n');

beforeAll(async () => {
  ({ s3, t } = await startImportServer({
    buckets: { incoming: {} },
    // Originals on the S3-protocol server, in the bucket the import endpoint must never read.
    store: (server) => new S3ObjectStore(server.client, STORE),
  }));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

const importing = (key: string, url: string) => importInto(t, key, { url });

describe('POST /v1/files/import and the store bucket', () => {
  it("refuses every spelling that leads out of the allowed bucket, and no victim's byte is read", async () => {
    const victim = await t.key('victim');
    const upload = await t.request('/v1/files', victim.key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: victimCsv,
    });
    expect(upload.status).toBe(201);
    const { sha256 } = await json(upload);
    const original = `orgs/${victim.organization.id}/sha256/${sha256}`;
    expect(await s3.keys('orgs/')).toEqual([original]);
    // A copy the attacker may legitimately import, so that "refused" is not "nothing is importable".
    await s3.client.send(
      new PutObjectCommand({ Bucket: 'incoming', Key: 'mallory/mine.csv', Body: 'a,b\n1,2\n' }),
    );

    const attacker = await t.key('mallory');
    const invalid = [
      `s3://incoming/../${STORE}/${original}`,
      `s3://incoming/mallory/../../${STORE}/${original}`,
      `s3://incoming/./../${STORE}/${original}`,
      `s3://incoming/%2e%2e/${STORE}/${original}`,
      `s3://incoming/%2E%2E/${STORE}/${original}`,
      `s3://incoming/..%2f${STORE}/${original}`,
      `s3://incoming/mallory/..%2F..%2F${STORE}%2F${original}`,
      `s3://incoming/%252e%252e/${STORE}/${original}`,
      `s3://incoming/..\\${STORE}\\${original}`,
      `s3://incoming/mallory\\..\\..\\${STORE}/${original}`,
      `s3://incoming//../${STORE}/${original}`,
      `s3://incoming/mallory//x.csv`,
      `s3://incoming/mallory/x.csv/`,
      `s3://incoming/\t../${STORE}/${original}`,
      `s3://incoming/..\u0000/${STORE}/${original}`,
      `s3://incoming/\uff0e\uff0e/${STORE}/${original}`,
      `s3://incoming/..\uff0f${STORE}/${original}`,
      `s3://incoming/mallory/x.csv?x-id=GetObject`,
      `s3://incoming/mallory/x.csv#frag`,
      `s3://${STORE.toUpperCase()}/${original}`,
      `s3://Ingest-Store/${original}`,
      `s3://${STORE}./${original}`,
      `s3://${STORE}../${original}`,
      `s3://ingest%2dstore/${original}`,
      `s3://${STORE}%00/${original}`,
      `s3://incoming/..`,
      `s3://incoming/.`,
      `s3://incoming:443/${original}`,
      `s3://user@incoming/${original}`,
    ];
    const answers: Record<string, number> = {};
    for (const url of invalid) {
      const res = await importing(attacker.key, url);
      const body = await json(res);
      answers[url] = res.status;
      expect(res.status, url).toBe(400);
      expect(body.error.code, url).toBe('INVALID_IMPORT_URL');
      expect(body.error.option, url).toBe('url');
    }
    // Spelled exactly, the store bucket is a bucket this server never imports from.
    const direct = await importing(attacker.key, `s3://${STORE}/${original}`);
    expect(direct.status).toBe(403);
    expect((await json(direct)).error.code).toBe('FORBIDDEN');

    // Nothing of the victim's reached the attacker: no file, no object, no listing entry.
    expect(await t.traces(attacker.organization.id)).toEqual(NO_TRACES);
    const listing = await json(await t.request('/v1/files', attacker.key));
    expect(listing.files).toEqual([]);
    expect(await s3.keys('orgs/')).toEqual([original]);

    // The attacker's own object in the allowed bucket still imports.
    const own = await importing(attacker.key, 's3://incoming/mallory/mine.csv');
    expect(own.status).toBe(201);
    expect(await json(own)).toMatchObject({ organization: 'mallory', filename: 'mine.csv', rows: 1 });
  });
});
