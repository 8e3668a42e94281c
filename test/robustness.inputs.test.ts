import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { INPUT_CASES, type InputCase } from './support/input-cases.js';
import { runCli } from './support/run-cli.js';

let db: TestDatabase;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  home = await mkdtemp(join(tmpdir(), 'ingest-inputs-'));
  env = { DATABASE_URL: db.url, INGEST_HOME: home };
});
afterAll(async () => {
  await db?.drop();
  await rm(home, { recursive: true, force: true });
});

/** Writes each case's bytes under its own folder (file names repeat across cases) and returns the paths. */
async function writeCases(cases: InputCase[], folder: string): Promise<string[]> {
  const paths: string[] = [];
  for (const [i, c] of cases.entries()) {
    const dir = join(home, folder, String(i));
    await mkdir(dir, { recursive: true });
    const path = join(dir, c.filename);
    await writeFile(path, c.bytes);
    paths.push(path);
  }
  return paths;
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Exports a file with --normalize through the CLI and reads it back with csv-parse, the reference. */
async function normalizedRecords(fileId: string): Promise<string[][]> {
  const run = await runCli(['export', fileId, '--normalize'], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return parse(run.stdout, { relax_column_count: true }) as string[][];
}

async function fileCount(org: string): Promise<number> {
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n FROM storage_meta.files f JOIN tenant.organizations o ON o.id = f.organization_id
      WHERE o.slug = $1`,
    [org],
  );
  return rows[0].n;
}

/** Originals in the local object folder under the organization's prefix. */
async function storedObjects(org: string): Promise<string[]> {
  const { rows } = await db.pool.query('SELECT id FROM tenant.organizations WHERE slug = $1', [org]);
  if (rows.length === 0) return [];
  const entries = await readdir(join(home, 'objects', 'orgs', rows[0].id), {
    recursive: true,
    withFileTypes: true,
  }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe('inputs users upload, through the CLI', () => {
  const ingested = INPUT_CASES.filter((c) => c.expect.kind === 'ingested');
  const refused = INPUT_CASES.filter((c) => c.expect.kind === 'refused');

  it('ingests every readable input, and export --normalize gives exactly its records', async () => {
    const paths = await writeCases(ingested, 'ok');
    const run = await runCli([...paths, '--org', 'inputs-ok', '--json'], env);
    const results = jsonLines(run.stdout);
    expect(results).toHaveLength(ingested.length);
    for (const [i, c] of ingested.entries()) {
      const expected = c.expect;
      if (expected.kind !== 'ingested') throw new Error('unreachable');
      const result = results[i]!;
      expect(result, c.name).not.toHaveProperty('error');
      expect(result.rows, c.name).toBe(expected.records.length);
      expect(result.columns, c.name).toBe(expected.header.length);
      if (expected.encoding) expect(result.encoding, c.name).toBe(expected.encoding);
      if (expected.delimiter) expect(result.delimiter, c.name).toBe(expected.delimiter);
      const [header, ...records] = await normalizedRecords(result.fileId as string);
      expect(header, c.name).toEqual(expected.header);
      expect(records, c.name).toEqual(expected.records);
    }
    expect(run.code).toBe(0);
  });

  it('refuses each bad input with its code and line, leaving nothing; exit 1', async () => {
    const paths = await writeCases(refused, 'strict');
    const run = await runCli([...paths, '--org', 'inputs-strict', '--json'], env);
    const results = jsonLines(run.stdout);
    expect(results).toHaveLength(refused.length);
    for (const [i, c] of refused.entries()) {
      const expected = c.expect;
      if (expected.kind !== 'refused') throw new Error('unreachable');
      expect(results[i], c.name).toMatchObject({
        filename: paths[i],
        error: { code: expected.code, line: expected.line ?? null },
      });
    }
    expect(run.code).toBe(1);
    expect(await fileCount('inputs-strict')).toBe(0);
    expect(await storedObjects('inputs-strict')).toEqual([]);
  });

  it('under --on-error skip, records each bad row and keeps the rest', async () => {
    const skippable = refused.filter((c) => c.expect.kind === 'refused' && c.expect.skip);
    const paths = await writeCases(skippable, 'skip');
    const run = await runCli([...paths, '--org', 'inputs-skip', '--on-error', 'skip', '--json'], env);
    const results = jsonLines(run.stdout);
    for (const [i, c] of skippable.entries()) {
      const skip = c.expect.kind === 'refused' ? c.expect.skip! : undefined;
      const result = results[i]!;
      expect(result, c.name).toMatchObject({
        rows: skip!.records.length,
        rejectedRows: skip!.rejected.length,
      });
      const { rows } = await db.pool.query(
        'SELECT line::int, code, raw FROM storage_meta.rejected_rows WHERE file_id = $1 ORDER BY line',
        [result.fileId],
      );
      expect(
        rows.map((r) => ({ line: r.line, code: r.code })),
        c.name,
      ).toEqual(skip!.rejected);
      for (const r of rows) expect(r.raw.length, c.name).toBeGreaterThan(0);
      const [, ...records] = await normalizedRecords(result.fileId as string);
      expect(records, c.name).toEqual(skip!.records);
    }
    expect(run.code).toBe(0);
  });

  it('fails a record over --max-record-size with RECORD_TOO_LARGE', async () => {
    const [path] = await writeCases(
      [
        {
          name: 'large record',
          filename: 'large-record.csv',
          bytes: Buffer.from(`a,b\n1,${'x'.repeat(200_000)}\n2,y\n`),
          expect: { kind: 'refused', code: 'RECORD_TOO_LARGE' },
        },
      ],
      'record',
    );
    const run = await runCli([path!, '--org', 'inputs-record', '--max-record-size', '64KB', '--json'], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 'RECORD_TOO_LARGE', line: 2 } });
    expect(await fileCount('inputs-record')).toBe(0);
  });

  it("refuses a file over the maximum upload size or the organization's quota, storing nothing", async () => {
    const [path] = await writeCases(
      [
        {
          name: '20 KB',
          filename: 'twenty.csv',
          bytes: Buffer.from(`a,b\n${'1,2\n'.repeat(5000)}`),
          expect: { kind: 'refused', code: 'UPLOAD_TOO_LARGE' },
        },
      ],
      'limits',
    );
    const tooLarge = await runCli([path!, '--org', 'inputs-limits', '--json'], {
      ...env,
      INGEST_MAX_UPLOAD_BYTES: '10KB',
    });
    expect(tooLarge.code).toBe(1);
    expect(JSON.parse(tooLarge.stdout)).toMatchObject({ error: { code: 'UPLOAD_TOO_LARGE' } });

    const created = await runCli(['org', 'create', 'inputs-quota', '--quota', '15KB'], env);
    expect(created.code).toBe(0);
    const overQuota = await runCli([path!, '--org', 'inputs-quota', '--json'], env);
    expect(overQuota.code).toBe(1);
    expect(JSON.parse(overQuota.stdout)).toMatchObject({ error: { code: 'QUOTA_EXCEEDED' } });
    expect(await fileCount('inputs-limits')).toBe(0);
    expect(await fileCount('inputs-quota')).toBe(0);
    expect(await storedObjects('inputs-limits')).toEqual([]);
    expect(await storedObjects('inputs-quota')).toEqual([]);
  });
});
