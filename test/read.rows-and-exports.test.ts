import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFile, type Organization, withTenant } from '../src/db/index.js';
import { archiveFiles, ingest, materializeFile } from '../src/ingest/index.js';
import {
  type PythonReading,
  parseCsvWithPython,
  readWithPython,
  writeReadBackCsv,
} from './support/read-back.js';
import { runCli } from './support/run-cli.js';
import { startTestServer, type TestServer } from './support/server.js';

/*
 * Every way of reading a file back (rows over HTTP and the CLI, rejected rows, Parquet, materialized
 * tables) against a real server and PostgreSQL, compared with Python's csv module reading the original:
 * a multi-chunk file with quoted newlines, a lenient-mode file with ragged rows, and an archived file.
 */

let t: TestServer;
let org: Organization;
let key: string;
const CHUNK = 64 * 1024;
const files: Record<'clean' | 'ragged' | 'archived', { id: string; path: string; py: PythonReading }> =
  {} as never;

const isTrue = (v: string) => /^(t|true|y|yes)$/i.test(v);

beforeAll(async () => {
  t = await startTestServer();
  org = await t.env.organization('reader');
  key = (await t.key(org)).key;
  const clean = join(t.env.home, 'clean.csv');
  const ragged = join(t.env.home, 'ragged.csv');
  await writeReadBackCsv(clean, 6000);
  // CRLF only in the clean file's quoted fields: ingest counts a quoted CRLF as two lines (see report).
  await writeReadBackCsv(ragged, 3000, 97, false);
  const load = async (path: string, organization: Organization, onError: 'strict' | 'skip' = 'strict') =>
    (await ingest(t.env.services, { kind: 'path', path }, { organization, chunkBytes: CHUNK, onError }))
      .fileId;
  files.clean = { id: await load(clean, org), path: clean, py: readWithPython(clean) };
  files.ragged = { id: await load(ragged, org, 'skip'), path: ragged, py: readWithPython(ragged) };
  const cold = await t.env.organization('reader-archive');
  const archivedId = await load(clean, cold);
  const archived = await archiveFiles(t.env.services, cold, 0, { name: 'test' });
  expect(archived.archived.map((a) => a.fileId)).toEqual([archivedId]);
  files.archived = { id: archivedId, path: clean, py: files.clean.py };
  key = (await t.key(org)).key;
}, 120_000);
afterAll(async () => {
  await t?.close();
});

async function keyFor(name: keyof typeof files): Promise<string> {
  return name === 'archived' ? (await t.key('reader-archive')).key : key;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
async function getJson(path: string, k: string): Promise<{ status: number; body: any }> {
  const res = await t.request(path, k);
  return { status: res.status, body: await res.json() };
}

describe('GET /v1/files/:id/rows', () => {
  it.each(['clean', 'ragged', 'archived'] as const)(
    'pages through the %s file and returns exactly what Python reads, in order',
    async (name) => {
      const f = files[name];
      const k = await keyFor(name);
      expect(f.py.rows.length).toBeGreaterThan(2000);
      if (name === 'ragged') expect(f.py.ragged.length).toBeGreaterThan(20);
      const file = await withTenant(
        t.env.services.pool,
        name === 'archived' ? (await t.env.organization('reader-archive')).id : org.id,
        (db) => getFile(db, f.id),
      );
      expect(file!.chunkCount).toBeGreaterThan(3);
      expect(Boolean(file!.archive)).toBe(name === 'archived');

      const rows: string[][] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const { status, body } = await getJson(`/v1/files/${f.id}/rows?offset=${offset}&limit=1000`, k);
        expect(status).toBe(200);
        expect(body.columns).toEqual(f.py.header);
        expect(body.total).toBe(f.py.rows.length);
        expect(body.offset).toBe(offset);
        rows.push(...body.rows);
        offset = body.nextOffset;
      }
      expect(rows).toEqual(f.py.rows);

      // A page in the middle, spanning a chunk boundary somewhere, with columns picked and reordered.
      const { body } = await getJson(`/v1/files/${f.id}/rows?offset=1995&limit=20&columns=at,id,name`, k);
      const [at, id, nm] = ['at', 'id', 'name'].map((c) => f.py.header.indexOf(c));
      expect(body.columns).toEqual(['at', 'id', 'name']);
      expect(body.rows).toEqual(f.py.rows.slice(1995, 2015).map((r) => [r[at!], r[id!], r[nm!]]));
      expect(body.nextOffset).toBe(2015);

      // Past the end: no rows, no next page.
      const past = await getJson(`/v1/files/${f.id}/rows?offset=${f.py.rows.length}`, k);
      expect(past.body).toMatchObject({ rows: [], nextOffset: null, total: f.py.rows.length });
    },
  );

  it('answers CSV for Accept: text/csv, which Python reads back to the same rows', async () => {
    const f = files.clean;
    const res = await t.request(`/v1/files/${f.id}/rows?offset=3&limit=50`, key, {
      headers: { accept: 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('ingest-total-rows')).toBe(String(f.py.rows.length));
    expect(res.headers.get('ingest-next-offset')).toBe('53');
    expect(parseCsvWithPython(await res.text())).toEqual([f.py.header, ...f.py.rows.slice(3, 53)]);
  });

  it.each([
    ['offset=-1', 'offset'],
    ['offset=1e3', 'offset'],
    ['offset=abc', 'offset'],
    ['limit=0', 'limit'],
    ['limit=10001', 'limit'],
    ['limit=5&limit=6', 'limit'],
    ['columns=', 'columns'],
    ['columns=id,nope', 'columns'],
  ])('refuses %s with 400 INVALID_OPTION naming the option', async (query, option) => {
    const { status, body } = await getJson(`/v1/files/${files.clean.id}/rows?${query}`, key);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'INVALID_OPTION', option });
  });

  it('needs the files:read scope, and shows another organization nothing', async () => {
    const writer = (await t.key(org, { scopes: ['files:write'] })).key;
    expect((await getJson(`/v1/files/${files.clean.id}/rows`, writer)).body.error.code).toBe('FORBIDDEN');
    const other = (await t.key('someone-else')).key;
    const res = await getJson(`/v1/files/${files.clean.id}/rows`, other);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('FILE_NOT_FOUND');
  });

  it('reads only the chunks that hold the page: a damaged first chunk fails only the pages it holds', async () => {
    const damaged = await t.env.organization('reader-damaged');
    const id = (
      await ingest(
        t.env.services,
        { kind: 'path', path: files.clean.path },
        { organization: damaged, chunkBytes: CHUNK },
      )
    ).fileId;
    await t.env.admin.query(
      `UPDATE storage_meta.file_chunks SET payload = '\\x1f8b00'::bytea WHERE file_id = $1 AND chunk_index = 0`,
      [id],
    );
    const k = (await t.key(damaged)).key;
    const last = files.clean.py.rows.length - 10;
    const deep = await getJson(`/v1/files/${id}/rows?offset=${last}&limit=10`, k);
    expect(deep.status).toBe(200);
    expect(deep.body.rows).toEqual(files.clean.py.rows.slice(last));
    const first = await getJson(`/v1/files/${id}/rows?offset=0&limit=10`, k);
    expect(first.status).toBe(500);
    expect(first.body.error.code).toBe('CHECKSUM_MISMATCH');
  });
});

describe('GET /v1/files/:id/rejected', () => {
  it('lists the ragged rows Python finds: line, code, reason and raw text', async () => {
    const f = files.ragged;
    const { status, body } = await getJson(`/v1/files/${f.id}/rejected?limit=10000`, key);
    expect(status).toBe(200);
    expect(body.total).toBe(f.py.ragged.length);
    expect(body.rejectedRows).toBe(f.py.ragged.length);
    expect(body.rejected.map((r: { line: number }) => r.line)).toEqual(f.py.ragged.map((r) => r.line));
    const lines = (await readFile(f.path, 'utf8')).split('\n');
    for (const r of body.rejected) {
      expect(r.code).toBe('FIELD_COUNT_MISMATCH');
      expect(r.reason).toMatch(/expected 7 fields, found [68]/);
      expect(lines[r.line - 1]!.startsWith(r.raw.split('\n')[0])).toBe(true);
    }
    const page = await getJson(`/v1/files/${f.id}/rejected?offset=5&limit=3`, key);
    expect(page.body.rejected).toEqual(body.rejected.slice(5, 8));
    expect(page.body.nextOffset).toBe(8);
  });
});

/** Every value of a Parquet file, by DuckDB (an implementation independent of the writer). */
async function readParquet(path: string): Promise<string[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const reader = await c.runAndReadAll(
      `SELECT CAST(id AS VARCHAR), name, CAST(amount AS VARCHAR), CAST(paid AS VARCHAR), CAST(day AS VARCHAR),
              CAST(epoch_us("at") AS VARCHAR), region, typeof(id), typeof(amount), typeof(paid), typeof(day), typeof("at")
       FROM read_parquet('${path.replaceAll("'", "''")}')`,
    );
    return reader.getRowsJS() as string[][];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** What a typed reader must see for Python's reading of a row: null for empty, typed otherwise. */
function expectedTyped(py: PythonReading, i: number): (string | null)[] {
  const r = py.rows[i]!;
  const v = (s: string) => (s === '' ? null : s);
  return [r[0]!, v(r[1]!), String(Number(r[2]!)), String(isTrue(r[3]!)), r[4]!, py.micros[i]!, v(r[6]!)];
}

describe('Parquet export', () => {
  it.each(['clean', 'ragged', 'archived'] as const)(
    'GET content?format=parquet of the %s file: DuckDB reads every value typed as Python reads it',
    async (name) => {
      const f = files[name];
      const res = await t.request(`/v1/files/${f.id}/content?format=parquet`, await keyFor(name));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
      const path = join(t.env.home, `${name}.parquet`);
      await writeFile(path, Buffer.from(await res.arrayBuffer()));
      const values = await readParquet(path);
      expect(values.length).toBe(f.py.rows.length);
      expect(values[0]!.slice(7)).toEqual([
        'BIGINT',
        'DOUBLE',
        'BOOLEAN',
        'DATE',
        'TIMESTAMP WITH TIME ZONE',
      ]);
      for (let i = 0; i < values.length; i++) {
        const got = values[i]!.slice(0, 7);
        // DuckDB prints a DOUBLE its own way: compare the numbers.
        got[2] = String(Number(got[2]));
        expect(got, `row ${i}`).toEqual(expectedTyped(f.py, i));
      }
    },
  );

  it('ingest export --format parquet --offset --limit writes the same rows as ingest rows, via the CLI', async () => {
    const env = { DATABASE_URL: t.env.url, INGEST_HOME: t.env.home };
    const path = join(t.env.home, 'cli.parquet');
    const run = await runCli(
      ['export', files.clean.id, '--format', 'parquet', '--offset', '100', '--limit', '1500', '-o', path],
      env,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const values = await readParquet(path);
    expect(values.map((r) => r[0])).toEqual(files.clean.py.rows.slice(100, 1600).map((r) => r[0]));
  });
});

describe('ingest rows, rejected and export --offset/--limit (CLI)', () => {
  const env = () => ({ DATABASE_URL: t.env.url, INGEST_HOME: t.env.home });

  it('rows --json and --csv give the page Python reads; export --offset/--limit the same rows', async () => {
    const f = files.archived;
    const json = await runCli(['rows', f.id, '--offset', '4990', '--limit', '25', '--json'], env());
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout);
    expect(page).toMatchObject({
      offset: 4990,
      nextOffset: 5015,
      total: f.py.rows.length,
      columns: f.py.header,
    });
    expect(page.rows).toEqual(f.py.rows.slice(4990, 5015));

    const csv = await runCli(['rows', f.id, '--offset', '4990', '--limit', '25', '--csv'], env());
    expect(parseCsvWithPython(csv.stdout)).toEqual([f.py.header, ...f.py.rows.slice(4990, 5015)]);
    const exported = await runCli(['export', f.id, '--offset', '4990', '--limit', '25'], env());
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(csv.stdout);

    const cols = await runCli(['rows', f.id, '--limit', '3', '--columns', 'region,id', '--json'], env());
    expect(JSON.parse(cols.stdout).rows).toEqual(f.py.rows.slice(0, 3).map((r) => [r[6], r[0]]));
  });

  it('rejected --json lists the ragged rows', async () => {
    const run = await runCli(['rejected', files.ragged.id, '--limit', '10000', '--json'], env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).rejected.map((r: { line: number }) => r.line)).toEqual(
      files.ragged.py.ragged.map((r) => r.line),
    );
  });
});

describe('materialize', () => {
  async function tableValues(table: string): Promise<(string | null)[][]> {
    const { rows } = await t.env.admin.query({
      text: `SELECT id::text, name, amount::text, paid::text, day::text,
                    (extract(epoch FROM at) * 1000000)::bigint::text, region
             FROM ${table} t ORDER BY t.id`,
      rowMode: 'array',
    });
    return rows;
  }
  const expectedRows = (py: PythonReading) =>
    py.rows.map((r, i) => {
      const e = expectedTyped(py, i);
      e[2] = r[2]!; // numeric keeps the text as written
      return e;
    });

  it.each(['clean', 'ragged', 'archived'] as const)(
    'loads the %s file into a typed table equal to what Python reads',
    async (name) => {
      const f = files[name];
      const orgId = name === 'archived' ? (await t.env.organization('reader-archive')).id : org.id;
      const result = await materializeFile(t.env.services, orgId, f.id, { table: `mat.${name}` });
      expect(result.rows).toBe(f.py.rows.length);
      expect(result.method).toBe(name === 'ragged' ? 'copy-parsed' : 'copy-raw');
      expect(result.columns.map((c) => c.type)).toEqual([
        'bigint',
        'text',
        'numeric',
        'boolean',
        'date',
        'timestamp with time zone',
        'text',
      ]);
      expect(result.textColumns).toEqual(['name', 'region']);
      const got = await tableValues(`mat.${name}`);
      const want = expectedRows(f.py);
      for (let i = 0; i < want.length; i++) expect(got[i], `row ${i}`).toEqual(want[i]);
      expect(got.length).toBe(want.length);
    },
  );

  it('refuses a name clash with TABLE_EXISTS, replaces with --replace, appends with --append', async () => {
    const f = files.clean;
    await materializeFile(t.env.services, org.id, f.id, { table: 'mat.modes', columns: ['id', 'region'] });
    await expect(materializeFile(t.env.services, org.id, f.id, { table: 'mat.modes' })).rejects.toMatchObject(
      {
        code: 'TABLE_EXISTS',
      },
    );
    const appended = await materializeFile(t.env.services, org.id, f.id, {
      table: 'mat.modes',
      mode: 'append',
      columns: ['id', 'region'],
    });
    expect(appended.method).toBe('copy-parsed');
    const count = async () =>
      Number((await t.env.admin.query('SELECT count(*) AS n FROM mat.modes')).rows[0].n);
    expect(await count()).toBe(2 * f.py.rows.length);
    const replaced = await materializeFile(t.env.services, org.id, f.id, {
      table: 'mat.modes',
      mode: 'replace',
    });
    expect(replaced.columns).toHaveLength(7);
    expect(await count()).toBe(f.py.rows.length);
  });

  it('--append --where-type-fails: error stops and keeps the table, null loads NULL, text changes the column', async () => {
    const f = files.clean;
    await t.env.admin.query('CREATE SCHEMA IF NOT EXISTS mat');
    await t.env.admin.query('CREATE TABLE mat.strict_types (id bigint, region bigint)');
    await t.env.admin.query('INSERT INTO mat.strict_types VALUES (0, 0)');
    const load = (whereTypeFails: 'null' | 'text' | 'error') =>
      materializeFile(t.env.services, org.id, f.id, {
        table: 'mat.strict_types',
        mode: 'append',
        columns: ['id', 'region'],
        whereTypeFails,
      });
    await expect(load('error')).rejects.toMatchObject({
      code: 'TYPE_MISMATCH',
      context: { column: 'region', row: 2 },
    });
    expect((await t.env.admin.query('SELECT count(*)::int AS n FROM mat.strict_types')).rows[0].n).toBe(1);

    const nulled = await load('null');
    const nonEmpty = f.py.rows.filter((r) => r[6] !== '').length;
    expect(nulled.nulledValues).toBe(nonEmpty);
    expect(
      (await t.env.admin.query('SELECT count(*)::int AS n FROM mat.strict_types WHERE region IS NULL'))
        .rows[0].n,
    ).toBe(f.py.rows.length);

    const text = await load('text');
    expect(text.alteredToText).toEqual(['region']);
    const { rows } = await t.env.admin.query(
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'mat.strict_types'::regclass AND attname = 'region'`,
    );
    expect(rows[0].type).toBe('text');
    const { rows: regions } = await t.env.admin.query(
      `SELECT region FROM mat.strict_types WHERE region IS NOT NULL AND region <> '0' ORDER BY id`,
    );
    expect(regions.map((r) => r.region)).toEqual(f.py.rows.map((r) => r[6]).filter((r) => r !== ''));
  });

  it('ingest materialize (CLI) says which columns stay text, and refuses ingest schemas', async () => {
    const env = { DATABASE_URL: t.env.url, INGEST_HOME: t.env.home };
    const run = await runCli(['materialize', files.ragged.id, '--table', 'Mat.CLI'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`loaded ${files.ragged.py.rows.length} rows into mat.cli`);
    expect(run.stdout).toContain('column name stays text');
    const clash = await runCli(['materialize', files.ragged.id, '--table', 'mat.cli', '--json'], env);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('TABLE_EXISTS');
    const own = await runCli(['materialize', files.ragged.id, '--table', 'storage_meta.x'], env);
    expect(own.stderr).toContain('INVALID_OPTION');
  });
});

describe('analytics.file_profiles', () => {
  it('pivots the metrics into one row per column, visible to the owning organization only', async () => {
    const client = await t.env.admin.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT tenant.act_as_organization('reader')`);
      const { rows } = await client.query(
        'SELECT file_id, column_name, type, nulls, non_nulls FROM analytics.file_profiles ORDER BY file_id, column_index',
      );
      const role = await client.query('SELECT current_user AS u');
      await client.query('COMMIT');
      expect(role.rows[0].u).toBe('ingest_app');
      const ids = new Set(rows.map((r) => r.file_id));
      expect(ids.has(files.clean.id)).toBe(true);
      expect(ids.has(files.archived.id)).toBe(false);
      const clean = rows.filter((r) => r.file_id === files.clean.id);
      expect(clean.map((r) => [r.column_name, r.type])).toEqual([
        ['id', 'integer'],
        ['name', 'text'],
        ['amount', 'decimal'],
        ['paid', 'boolean'],
        ['day', 'date'],
        ['at', 'timestamp'],
        ['region', 'text'],
      ]);
      const regionNulls = files.clean.py.rows.filter((r) => r[6] === '').length;
      expect(Number(clean[6]!.nulls)).toBe(regionNulls);
      expect(Number(clean[6]!.non_nulls)).toBe(files.clean.py.rows.length - regionNulls);
    } finally {
      client.release();
    }
  });
});
