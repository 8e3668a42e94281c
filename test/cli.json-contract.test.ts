import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  home = await mkdtemp(join(tmpdir(), 'ingest-cli-'));
  env = { DATABASE_URL: db.url, INGEST_HOME: home };
});
afterAll(async () => {
  await db?.drop();
  await rm(home, { recursive: true, force: true });
});

describe('ingest CLI', () => {
  it('prints one JSON object per file and exits 0 when all succeed', async () => {
    const run = await runCli(
      ['fixtures/sample.csv', 'fixtures/bom-semicolon-crlf.csv', '--org', 'cli-json', '--json'],
      env,
    );
    expect(run.stderr).toContain('created organization cli-json');
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const sample = await readFile('fixtures/sample.csv');
    expect(lines[0]).toMatchObject({
      organization: 'cli-json',
      filename: 'sample.csv',
      sha256: createHash('sha256').update(sample).digest('hex'),
      duplicate: false,
      bytes: sample.length,
      rows: 10,
      columns: 8,
      rejectedRows: 0,
    });
    for (const key of ['fileId', 'chunks', 'storedBytes', 'seconds']) expect(lines[0]).toHaveProperty(key);
    expect(lines[1]).toMatchObject({ filename: 'bom-semicolon-crlf.csv', rows: 3, columns: 3 });

    const again = await runCli(['fixtures/sample.csv', '--org', 'cli-json', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ duplicate: true, fileId: lines[0].fileId });

    const out = join(home, 'export.csv');
    const exported = await runCli(['export', lines[0].fileId, '-o', out], env);
    expect(exported.code).toBe(0);
    expect((await readFile(out)).equals(sample)).toBe(true);

    const files = await runCli(['files', '--org', 'cli-json', '--json'], env);
    expect(files.code).toBe(0);
    expect(files.stdout.trim().split('\n')).toHaveLength(2);

    const metrics = await runCli(['metrics', lines[0].fileId, '--json'], env);
    expect(metrics.code).toBe(0);
    expect(JSON.parse(metrics.stdout).metrics.length).toBeGreaterThan(8);
  });

  it('exits 1 and prints the error object when a file fails, still ingesting the others', async () => {
    const run = await runCli(
      ['fixtures/field-count-mismatch.csv', 'fixtures/sample.csv', '--org', 'cli-fail', '--json'],
      env,
    );
    expect(run.code).toBe(1);
    const [failed, ok] = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(failed).toEqual({
      filename: 'fixtures/field-count-mismatch.csv',
      error: { code: 'FIELD_COUNT_MISMATCH', message: expect.stringContaining('line 4'), line: 4 },
    });
    expect(ok).toMatchObject({ filename: 'sample.csv', duplicate: false });
  });

  it('prints one clear line without a stack trace for a failed file', async () => {
    const run = await runCli(['fixtures/unclosed-quote.csv', '--org', 'cli-fail'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error UNCLOSED_QUOTE: .*unclosed-quote\.csv: line \d+/m);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for usage errors', async () => {
    expect((await runCli(['fixtures/sample.csv'], env)).code).toBe(2);
    expect((await runCli(['fixtures/sample.csv', '--org', 'x', '--on-error', 'maybe'], env)).code).toBe(2);
    expect((await runCli(['fixtures/sample.csv', '--org', 'x', '--chunk-size', 'huge'], env)).code).toBe(2);
    expect((await runCli(['fixtures/sample.csv', '--org', 'Bad Slug!'], env)).code).toBe(2);
    expect((await runCli(['--no-such-flag'], env)).code).toBe(2);
  });

  it('org stats --refresh shows the totals of the ingested files', async () => {
    await runCli(['fixtures/sample.csv', '--org', 'cli-stats', '--json'], env);
    const run = await runCli(['org', 'stats', '--refresh', '--json'], env);
    expect(run.code).toBe(0);
    const stats = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(stats.find((s) => s.slug === 'cli-stats')).toMatchObject({
      readyFiles: 1,
      failedFiles: 0,
      originalBytes: (await readFile('fixtures/sample.csv')).length,
      rows: 10,
    });
  });

  it('answers --help with the commands and options', async () => {
    const run = await runCli(['--help'], env);
    expect(run.code).toBe(0);
    for (const word of ['--org', '--on-error', '--chunk-size', 'export', 'files', 'metrics', 'db', 'migrate'])
      expect(run.stdout).toContain(word);
  });

  it('ends quietly with exit 0 when the reader of its output goes away (| head)', async () => {
    // Larger than a pipe's buffer, so the export is still writing when the reader leaves.
    const big = join(home, 'big.csv');
    await writeFile(big, `id,text\n${'1,lorem ipsum dolor sit amet\n'.repeat(200_000)}`);
    const ingested = await runCli([big, '--org', 'cli-pipe', '--json'], env);
    const { fileId } = JSON.parse(ingested.stdout) as { fileId: string };
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'export', fileId], {
      env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // Like `head -c 1`: read once, then close the pipe while the export is still writing.
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });
});
