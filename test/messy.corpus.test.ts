import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

/**
 * fixtures/messy: one file per class of messy CSV, each with the table a person reads in it written by
 * hand (expected.json). Each file goes through the CLI and POST /v1/files in strict, skip and lenient
 * modes; the recovered table is what export --normalize gives back. Lenient, with no other flag, must
 * give every table exactly; CLI and HTTP must agree; the per class and mode outcome is printed.
 */
interface Expected {
  class: string;
  table?: string[][];
  refused?: string;
}

const MODES = ['strict', 'skip', 'lenient'] as const;
type Outcome = 'exact' | 'differences' | `failed ${string}`;

const DIR = 'fixtures/messy';
let expected: Record<string, Expected>;
let files: string[];

function outcomeOf(entry: Expected, table: string[][] | null, code: string | null): Outcome {
  if (entry.refused) return code === entry.refused ? 'exact' : table ? 'differences' : `failed ${code}`;
  if (!table) return `failed ${code}`;
  return JSON.stringify(table) === JSON.stringify(entry.table) ? 'exact' : 'differences';
}

const tableOf = (csv: string): string[][] => parse(csv, { relax_column_count: true }) as string[][];

describe('messy CSV corpus, through the CLI and the HTTP API', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let home: string;
  let t: TestServer;
  const outcomes: Record<string, Record<string, Outcome>> = {};

  beforeAll(async () => {
    expected = JSON.parse(await readFile(join(DIR, 'expected.json'), 'utf8'));
    files = Object.keys(expected).filter((k) => !k.startsWith('$'));
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'ingest-messy-'));
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await rm(home, { recursive: true, force: true });
  });

  for (const mode of MODES) {
    it(`${mode}: the CLI`, async () => {
      const env = { DATABASE_URL: db.url, INGEST_HOME: home };
      const paths = files.map((f) => join(DIR, f));
      const run = await runCli([...paths, '--org', `messy-cli-${mode}`, '--on-error', mode, '--json'], env);
      const results = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(results).toHaveLength(files.length);
      for (const [i, file] of files.entries()) {
        const result = results[i];
        let table: string[][] | null = null;
        if (!result.error) {
          // Every file row records how it was read: the dialect, sniffed or given, and how sure it was.
          expect(result.dialect).toMatchObject({ delimiter: expect.any(String), quote: expect.any(String) });
          expect(typeof result.confidence).toBe('number');
          const exported = await runCli(['export', result.fileId, '--normalize'], env);
          expect(exported.code).toBe(0);
          table = tableOf(exported.stdout);
        }
        outcomes[file] ??= {};
        outcomes[file][`${mode} cli`] = outcomeOf(expected[file]!, table, result.error?.code ?? null);
      }
    });

    it(`${mode}: POST /v1/files`, async () => {
      const { key } = await t.key(`messy-http-${mode}`);
      for (const file of files) {
        const body = await readFile(join(DIR, file));
        const res = await t.request(`/v1/files?filename=${file}&on_error=${mode}`, key, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body,
        });
        const result = await json(res);
        let table: string[][] | null = null;
        if (mode === 'lenient' && file === 'ragged.csv') {
          // Nothing is silent: each kept row that was repaired is recorded with its line and reason.
          expect(result).toMatchObject({ repairedRows: 2, rejectedRows: 0 });
          const { rows } = await t.env.admin.query(
            'SELECT line, code, kept FROM storage_meta.rejected_rows WHERE file_id = $1 ORDER BY line',
            [result.fileId],
          );
          expect(rows).toEqual([
            { line: '3', code: 'FIELDS_PADDED', kept: true },
            { line: '4', code: 'FIELDS_JOINED', kept: true },
          ]);
        }
        if (res.status === 201) {
          const content = await t.request(`/v1/files/${result.fileId}/content?normalize=true`, key);
          expect(content.status).toBe(200);
          table = tableOf(await content.text());
        }
        outcomes[file] ??= {};
        outcomes[file][`${mode} http`] = outcomeOf(expected[file]!, table, result.error?.code ?? null);
      }
    });
  }

  it('lenient loads every class exactly, and the CLI and HTTP agree in every mode', () => {
    const rows = files.map((file) => {
      const o = outcomes[file] ?? {};
      return `| ${expected[file]!.class} | ${file} | ${MODES.map((m) => o[`${m} cli`]).join(' | ')} |`;
    });
    console.log(
      ['| class | file | strict | skip | lenient |', '| --- | --- | --- | --- | --- |', ...rows].join('\n'),
    );
    for (const file of files) {
      const o = outcomes[file] ?? {};
      for (const mode of MODES) expect(o[`${mode} http`], `${file} ${mode}`).toBe(o[`${mode} cli`]);
      expect(o['lenient cli'], file).toBe('exact');
    }
  });
});
