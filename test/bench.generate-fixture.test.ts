import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_COLUMNS } from '../bench/fixture-columns.js';
import { ensureFixture, type Fixture, parseSize, sizeLabel } from '../bench/generate-fixture.js';

const SIZE = 200 * 1024;

describe('bench fixture generator', () => {
  let dirs: string[] = [];
  let first: Fixture;
  let text: string;
  let records: string[][];

  beforeAll(async () => {
    dirs = [
      await mkdtemp(join(tmpdir(), 'bench-fixture-a-')),
      await mkdtemp(join(tmpdir(), 'bench-fixture-b-')),
    ];
    first = await ensureFixture(SIZE, 7, { dir: dirs[0]! });
    text = await readFile(first.path, 'utf8');
    records = parse(text, { relax_column_count: true }) as string[][];
  });

  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('gives the same bytes for the same seed and size', async () => {
    const second = await ensureFixture(SIZE, 7, { dir: dirs[1]! });
    const sha = async (path: string) =>
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    expect(await sha(second.path)).toBe(await sha(first.path));
    expect(second.sha256).toBe(first.sha256);
    expect(second.rows).toBe(first.rows);
  });

  it('gives different bytes for another seed', async () => {
    const other = await ensureFixture(SIZE, 8, { dir: dirs[1]! });
    expect(other.sha256).not.toBe(first.sha256);
  });

  it('stays within one record of the target size and reports its bytes and rows', async () => {
    expect(first.bytes).toBe((await stat(first.path)).size);
    expect(first.bytes).toBeLessThanOrEqual(SIZE);
    expect(first.bytes).toBeGreaterThan(SIZE - 4096);
    expect(records.length - 1).toBe(first.rows);
    // ~280 bytes per record keeps the row counts near the figures (100 MB ~ 350k rows).
    expect(first.bytes / first.rows).toBeGreaterThan(220);
    expect(first.bytes / first.rows).toBeLessThan(340);
  });

  it('parses into records of exactly the header width, 12 fields', () => {
    const [header, ...rows] = records;
    expect(header).toEqual(FIXTURE_COLUMNS.map((c) => c.name));
    expect(header).toHaveLength(12);
    for (const row of rows) expect(row).toHaveLength(12);
  });

  it('has LF line endings and quoted fields with commas, escaped quotes and embedded newlines', () => {
    expect(text.includes('\r')).toBe(false);
    const fields = records.slice(1).flat();
    expect(fields.some((f) => f.includes(','))).toBe(true);
    expect(fields.some((f) => f.includes('"'))).toBe(true);
    expect(fields.some((f) => f.includes('\n'))).toBe(true);
    expect(text.includes('""')).toBe(true);
    expect(text.includes(',"')).toBe(true);
  });

  it('has realistic typed columns and unicode text', () => {
    const rows = records.slice(1);
    const column = (name: string) => rows.map((r) => r[FIXTURE_COLUMNS.findIndex((c) => c.name === name)]!);
    expect(column('id').every((v, i) => v === String(i + 1))).toBe(true);
    expect(column('amount').some((v) => v.startsWith('-'))).toBe(true);
    expect(
      column('amount')
        .filter((v) => v !== '')
        .every((v) => /^-?\d+\.\d\d$/.test(v)),
    ).toBe(true);
    expect(new Set(column('is_active'))).toEqual(new Set(['true', 'false']));
    expect(
      column('signup_date')
        .filter((v) => v !== '')
        .every((v) => /^\d{4}-\d\d-\d\d$/.test(v)),
    ).toBe(true);
    expect(column('last_seen_at').every((v) => !Number.isNaN(Date.parse(v)))).toBe(true);
    const names = column('customer_name').join(' ');
    expect(names).toMatch(/[éëøüñ]/); // accents
    expect(names).toMatch(/[\u4e00-\u9fff]/); // CJK
    expect(names).toMatch(/\p{Extended_Pictographic}/u); // emoji
  });

  it('parses sizes and names files by them', () => {
    expect(parseSize('100MB')).toBe(100 * 1024 * 1024);
    expect(parseSize('1GB')).toBe(1024 ** 3);
    expect(parseSize('200kb')).toBe(200 * 1024);
    expect(sizeLabel(100 * 1024 * 1024)).toBe('100MB');
    expect(sizeLabel(1024 ** 3)).toBe('1GB');
    expect(() => parseSize('big')).toThrow(/not a size/);
  });
});
