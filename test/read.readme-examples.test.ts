import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, materializeFile } from '../src/ingest/index.js';
import { parseCsvWithPython, readWithPython } from './support/read-back.js';
import { readmeBlock } from './support/readme-block.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);

let t: TestServer;
let cwd: string;
let fileId: string;
beforeAll(async () => {
  t = await startTestServer();
  cwd = await mkdtemp(join(tmpdir(), 'ingest-read-readme-'));
  const acme = await t.env.organization('acme');
  fileId = (
    await ingest(
      t.env.services,
      { kind: 'path', path: 'fixtures/sample.csv' },
      { organization: acme, audit: '2026-q4' },
    )
  ).fileId;
  // The third SQL example joins the table `ingest materialize <fileId> --table sales.orders` makes.
  await materializeFile(t.env.services, acme.id, fileId, { table: 'sales.orders' });
});
afterAll(async () => {
  await t?.close();
  await rm(cwd, { recursive: true, force: true });
});

describe('"Querying your data" in the README', () => {
  it('runs the curl examples as written: rows, CSV rows, rejected rows and Parquet', async () => {
    const commands = (await readmeBlock('read-examples', 'sh'))
      .split('\n')
      .filter((line) => line.startsWith('curl '));
    expect(commands).toHaveLength(4);
    const { key } = await t.key('acme');
    const env = { PATH: process.env.PATH ?? '', INGEST_URL: t.url, INGEST_KEY: key, FILE_ID: fileId };
    const out: string[] = [];
    for (const command of commands) out.push((await run('bash', ['-c', command], { cwd, env })).stdout);
    const sample = readWithPython('fixtures/sample.csv');
    const [customer, amount] = ['customer', 'amount'].map((c) => sample.header.indexOf(c));
    expect(JSON.parse(out[0]!)).toEqual({
      columns: ['customer', 'amount'],
      rows: sample.rows.slice(0, 5).map((r) => [r[customer!], r[amount!]]),
      offset: 0,
      nextOffset: 5,
      total: sample.rows.length,
    });
    expect(parseCsvWithPython(out[1]!)).toEqual([sample.header, ...sample.rows.slice(0, 5)]);
    expect(JSON.parse(out[2]!)).toMatchObject({ rejected: [], total: 0, nextOffset: null });
    const parquet = await readFile(join(cwd, 'sample.parquet'));
    expect(parquet.subarray(0, 4).toString()).toBe('PAR1');
  });

  it('runs the SQL examples as written with psql: profiles as a tenant, an audit, a materialized join', async () => {
    const script = join(cwd, 'examples.sql');
    await writeFile(script, await readmeBlock('sql-examples', 'sql'));
    const { stdout, stderr } = await run(
      'psql',
      [t.env.url, '-X', '-v', 'ON_ERROR_STOP=1', '-v', `file_id=${fileId}`, '-A', '-F', '|', '-f', script],
      { cwd, env: { PATH: process.env.PATH ?? '' } },
    ).catch((err) => err);
    expect(stderr).toBe('');
    // Profiles: one line per column of sample.csv with its inferred type.
    expect(stdout).toMatch(/^order_id\|integer\|0\|/m);
    expect(stdout).toMatch(/^amount\|decimal\|0\|/m);
    expect(stdout).toMatch(/^created_at\|timestamp\|/m);
    // The audit's file-level metrics.
    expect(stdout).toMatch(/^sample\.csv\|rejected_row_count\|0$/m);
    expect(stdout).toMatch(/^sample\.csv\|row_count\|10$/m);
    // The join: the estimate beside the exact count from the materialized table.
    const { rows } = await t.env.admin.query(
      'SELECT count(DISTINCT country)::int AS n, sum(amount)::text AS total FROM sales.orders',
    );
    expect(stdout).toContain(`country|${rows[0].n}|${rows[0].n}|${rows[0].total}`);
  });
});
