import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';
import type { ServeProcess } from './support/serve-process.js';
import { type ServedOrganization, serveOrganization } from './support/served-organization.js';
import { json } from './support/server.js';

// A real `ingest serve` process with the default limits: 2,000 columns, 18,008 metric rows.
const MAX_COLUMNS = 2000;

let served: ServedOrganization;
let db: TestDatabase;
let home: string;
let server: ServeProcess;
let key: string;

beforeAll(async () => {
  served = await serveOrganization('wide', 'ingest-columns-');
  ({ db, home, server, key } = served);
}, 60_000);
afterAll(() => served?.close());

function upload(body: Buffer, filename: string): Promise<Response> {
  return fetch(`${server.url}/v1/files?filename=${filename}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
    body,
  });
}

async function metricRowCount(): Promise<number> {
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM analytics.metrics');
  return rows[0].n;
}

/** Polls /healthz every ~20 ms until `done` settles; returns each answer's latency in ms. */
async function healthzWhile(done: Promise<unknown>): Promise<number[]> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  const latencies: number[] = [];
  while (!finished) {
    const started = performance.now();
    const res = await fetch(`${server.url}/healthz`);
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 20));
  }
  return latencies;
}

describe('server: hostile headers', () => {
  it(
    'refuses 150,000 repeated names (a 1 KB gzip) with TOO_MANY_COLUMNS while /healthz keeps answering',
    async () => {
      // A first ingest starts the worker threads, whose start-up competes for the CPU with everything else.
      expect((await upload(Buffer.from('id,name\n1,warm\n'), 'warm-up.csv')).status).toBe(201);
      const header = `${new Array(150_000).fill('a').join(',')}\n1\n`;
      const body = gzipSync(header, { level: 9 });
      expect(body.length).toBeLessThan(2048);
      const metricsBefore = await metricRowCount();
      const response = upload(body, 'wide.csv.gz');
      const latencies = await healthzWhile(response);
      const res = await response;
      expect(res.status).toBe(422);
      expect((await json(res)).error).toMatchObject({
        code: 'TOO_MANY_COLUMNS',
        message: expect.stringMatching(/wide\.csv\.gz has 150000 columns, more than the maximum of 2000/),
        file: 'wide.csv.gz',
        columns: 150_000,
        maxColumns: 2000,
      });
      expect(latencies.length).toBeGreaterThan(0);
      // The requirement: the event loop is never held long enough to delay /healthz by 100 ms.
      expect(Math.max(...latencies)).toBeLessThan(100);
      expect(await metricRowCount()).toBe(metricsBefore);
      // A wall-clock bound measured from a client in a shared machine: a retry absorbs a scheduler stall of
      // the whole machine, never a slow server (a quadratic or on-loop step fails every attempt).
    },
    { timeout: 60_000, retry: 2 },
  );

  it('refuses 100,000 columns of 3 rows before writing a metric row', async () => {
    const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',');
    const row = new Array(100_000).fill('1').join(',');
    const metricsBefore = await metricRowCount();
    const res = await upload(Buffer.from(`${names}\n${row}\n${row}\n${row}\n`), 'amplify.csv');
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ code: 'TOO_MANY_COLUMNS', columns: 100_000 });
    expect(await metricRowCount()).toBe(metricsBefore);
  }, 60_000);

  it('ingests a header just under the cap of one name repeated, with the renamed names', async () => {
    const original = ['a_5', ...new Array<string>(MAX_COLUMNS - 1).fill('a')];
    const row = original.map((_, i) => i).join(',');
    const res = await upload(Buffer.from(`${original.join(',')}\n${row}\n${row}\n`), 'dups.csv');
    expect(res.status).toBe(201);
    const { fileId } = await json(res);
    const file = await json(
      await fetch(`${server.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${key}` } }),
    );
    // The first `a` keeps its name; the others take _2, _3, ... skipping _5, which the header already has.
    const renamed = Array.from({ length: MAX_COLUMNS }, (_, i) => `a_${i + 2}`).filter((n) => n !== 'a_5');
    const expected = ['a_5', 'a', ...renamed.slice(0, MAX_COLUMNS - 2)];
    expect(expected.at(-1)).toBe(`a_${MAX_COLUMNS}`);
    expect((file.schema as { name: string }[]).map((c) => c.name)).toEqual(expected);
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM analytics.metrics WHERE file_id = $1',
      [fileId],
    );
    expect(rows[0].n).toBeGreaterThan(MAX_COLUMNS);
    expect(rows[0].n).toBeLessThanOrEqual(8 + 9 * MAX_COLUMNS);
  }, 60_000);

  it('caps metric rows per file at INGEST_MAX_METRIC_ROWS (here through the CLI)', async () => {
    const cap = 8 + 9 * 10;
    const env = { DATABASE_URL: db.url, INGEST_HOME: home, INGEST_MAX_METRIC_ROWS: String(cap) };
    const csv = (columns: number) => {
      const names = Array.from({ length: columns }, (_, i) => `c${i}`);
      return `${names.join(',')}\n${names.map((_, i) => i).join(',')}\n`;
    };
    await writeFile(join(home, 'eleven.csv'), csv(11));
    await writeFile(join(home, 'ten.csv'), csv(10));

    const refused = await runCli([join(home, 'eleven.csv'), '--org', 'capped', '--json'], env);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'TOO_MANY_METRIC_ROWS',
      message: expect.stringMatching(
        /eleven\.csv has 11 columns, which write up to 107 metric rows, more than the maximum of 98/,
      ),
    });

    const run = await runCli([join(home, 'ten.csv'), '--org', 'capped', '--json'], env);
    expect(run.code).toBe(0);
    const { fileId } = JSON.parse(run.stdout);
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM analytics.metrics WHERE file_id = $1',
      [fileId],
    );
    expect(rows[0].n).toBeGreaterThan(10);
    expect(rows[0].n).toBeLessThanOrEqual(cap);
  }, 60_000);
});
