import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFile, withTenant } from '../src/db/index.js';
import { ingest } from '../src/ingest/index.js';
import { createTestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * A file the sniffer reads one way and its owner another: a preamble line the caller skips, `'` quotes
 * holding the delimiter, and a first record that is data. Given on the CLI, in the upload query string or
 * to the library, the override decides, and the file row stores it like a sniffed choice.
 */
const CSV = "exported 2026\n1;'a;b';x\n2;'c';y\n";
const TABLE = 'column_1,column_2,column_3\n1,a;b,x\n2,c,y\n';

describe('dialect overrides', () => {
  let t: TestServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let home: string;
  beforeAll(async () => {
    t = await startTestServer();
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'ingest-overrides-'));
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it('in the upload query string', async () => {
    const { key } = await t.key('overrides-http');
    const res = await t.request(
      `/v1/files?filename=o.csv&delimiter=${encodeURIComponent(';')}&quote=${encodeURIComponent("'")}&header=false&skip_rows=1`,
      key,
      { method: 'POST', headers: { 'content-type': 'text/csv' }, body: CSV },
    );
    expect(res.status).toBe(201);
    const result = await json(res);
    expect(result.dialect).toMatchObject({
      delimiter: ';',
      quote: "'",
      header: false,
      skipRows: 1,
      overrides: ['delimiter', 'quote', 'header', 'skipRows'],
    });
    const content = await t.request(`/v1/files/${result.fileId}/content?normalize=true`, key);
    expect(await content.text()).toBe(TABLE);
    const bad = await t.request('/v1/files?delimiter=ab', key, { method: 'POST', body: CSV });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('INVALID_OPTION');
  });

  it('to the library, stored on the file row', async () => {
    const org = await t.env.organization('overrides-lib');
    const path = join(home, 'lib.csv');
    await writeFile(path, CSV);
    const result = await ingest(
      t.env.services,
      { kind: 'path', path },
      { organization: org, dialect: { delimiter: ';', quote: "'", header: false, skipRows: 1 } },
    );
    const file = await withTenant(t.env.services.pool, org.id, (q) => getFile(q, result.fileId));
    expect(file?.dialect).toMatchObject({ delimiter: ';', quote: "'", header: false, skipRows: 1 });
    expect(file?.dialect?.confidence).toEqual(expect.any(Number));
    expect(file?.columns?.map((c) => c.name)).toEqual(['column_1', 'column_2', 'column_3']);
  });

  it('on the command line', async () => {
    const path = join(home, 'cli.csv');
    await writeFile(path, CSV);
    const env = { DATABASE_URL: db.url, INGEST_HOME: home };
    const args = ['--org', 'overrides-cli', '--json', '--delimiter', ';', '--quote', "'", '--no-header'];
    const run = await runCli([path, ...args, '--skip-rows', '1'], env);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.dialect).toMatchObject({ delimiter: ';', quote: "'", header: false, skipRows: 1 });
    const exported = await runCli(['export', result.fileId, '--normalize'], env);
    expect(exported.stdout).toBe(TABLE);
    const bad = await runCli([path, '--org', 'overrides-cli', '--delimiter', 'ab'], env);
    expect(bad.code).toBe(2);
  });
});
