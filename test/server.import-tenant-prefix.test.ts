import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importInto, startImportServer } from './support/import-server.js';
import type { TestS3Server } from './support/s3-server.js';
import { json, NO_TRACES, type TestServer } from './support/server.js';

/**
 * One allowed bucket shared by every tenant: each organization's objects live under `<its slug>/`, and an
 * organization imports only from there, never another's prefix or the bucket's unprefixed keys.
 */
let s3: TestS3Server;
let t: TestServer;
const bravoCsv = Buffer.from('invoice,amount\nb-1,990\nb-2,12\n');
const alphaCsv = Buffer.from('id,name\n1,alice\n');

beforeAll(async () => {
  ({ s3, t } = await startImportServer({
    buckets: {
      'shared-drop': {
        'bravo/ledger.csv': bravoCsv,
        'alpha2/ledger.csv': bravoCsv,
        'ledger.csv': bravoCsv,
        alpha: bravoCsv,
        'alpha/own.csv': alphaCsv,
      },
    },
  }));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

const importing = (key: string, url: string) => importInto(t, key, { url });

describe('POST /v1/files/import in a bucket shared by tenants', () => {
  it("refuses another organization's prefix and unprefixed keys; imports under its own slug", async () => {
    const alpha = await t.key('alpha');
    const bravo = await t.key('bravo');
    await t.key('alpha2');
    for (const url of [
      's3://shared-drop/bravo/ledger.csv',
      // A slug that starts with the importer's is another organization's prefix all the same.
      's3://shared-drop/alpha2/ledger.csv',
      's3://shared-drop/ledger.csv',
      's3://shared-drop/alpha',
      's3://shared-drop/ALPHA/own.csv',
    ]) {
      const res = await importing(alpha.key, url);
      expect(res.status, url).toBe(403);
      const { error } = await json(res);
      expect(error.code, url).toBe('FORBIDDEN');
      expect(error.message, url).toContain('s3://shared-drop/alpha/');
    }
    expect(await t.traces(alpha.organization.id)).toEqual(NO_TRACES);

    const own = await importing(alpha.key, 's3://shared-drop/alpha/own.csv');
    expect(own.status).toBe(201);
    expect(await json(own)).toMatchObject({ organization: 'alpha', filename: 'own.csv', rows: 1 });
    const theirs = await importing(bravo.key, 's3://shared-drop/bravo/ledger.csv');
    expect(theirs.status).toBe(201);
    expect(await json(theirs)).toMatchObject({ organization: 'bravo', rows: 2 });

    // alpha holds its own file only.
    const files = (await json(await t.request('/v1/files', alpha.key))).files;
    expect(files.map((f) => f.filename)).toEqual(['own.csv']);
    expect((await t.traces(alpha.organization.id)).files).toBe(1);
  });
});
