import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * Under `--on-error skip`, csv-parse reports a record once per bad quote in it; each report used to become
 * its own rejected row, and two of them on one line broke the file with DATABASE_ERROR 23505 on
 * rejected_rows_pkey. One line is one rejected row, with all its reasons.
 */
const CSV = [
  'id,name',
  '1,ok',
  '2,x"y"z"w', // three stray quotes in one unquoted field
  '3, "padded"', // a space before a quote
  '4,"a"b"c"d', // text after a closing quote, twice
  '5,fine',
  '',
].join('\n');

const EXPECTED_LINES = [3, 4, 5];

async function rejectedRows(pool: pg.Pool, fileId: string) {
  const { rows } = await pool.query<{ line: string; code: string; reason: string }>(
    'SELECT line, code, reason FROM storage_meta.rejected_rows WHERE file_id = $1 ORDER BY line',
    [fileId],
  );
  return rows.map((r) => ({ line: Number(r.line), code: r.code, reason: r.reason }));
}

describe('skip policy: a line reported more than once is one rejected row', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let home: string;
  let t: TestServer;
  beforeAll(async () => {
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'ingest-skip-'));
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  it('through the CLI', async () => {
    const path = join(home, 'repeated-errors.csv');
    await writeFile(path, CSV);
    const run = await runCli([path, '--org', 'skip-cli', '--on-error', 'skip', '--json'], {
      DATABASE_URL: db.url,
      INGEST_HOME: home,
    });
    expect(run.stderr).not.toContain('23505');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ rows: 2, rejectedRows: 3 });
    const rejected = await rejectedRows(db.pool, result.fileId);
    expect(rejected.map((r) => r.line)).toEqual(EXPECTED_LINES);
    expect(rejected.every((r) => r.code === 'INVALID_QUOTE')).toBe(true);
    // Every reason of line 5 is kept, in one row.
    expect(rejected[2]!.reason.split('; ').length).toBeGreaterThan(1);
  });

  it('through POST /v1/files', async () => {
    const { key } = await t.key('skip-http');
    const res = await t.request('/v1/files?filename=repeated.csv&on_error=skip', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: CSV,
    });
    const body = await json(res);
    expect(body.error?.code).toBeUndefined();
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ rows: 2, rejectedRows: 3 });
    const rejected = await rejectedRows(t.env.admin, body.fileId);
    expect(rejected.map((r) => r.line)).toEqual(EXPECTED_LINES);
  });
});
