import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';
import { packageRoot } from '../src/paths.js';

/** Codes and HTTP statuses in the README's error reference table. */
async function documentedCodes(): Promise<Map<string, number>> {
  const readme = await readFile(join(packageRoot(), 'README.md'), 'utf8');
  const section = readme.split(/^## Error reference$/m)[1]?.split(/^## /m)[0] ?? '';
  const codes = new Map<string, number>();
  for (const match of section.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)) {
    codes.set(match[1]!, Number(match[2]));
  }
  return codes;
}

/** Every code the source raises or records: `new IngestError('X'`, `code: 'X'`, `reject('X'` (not comparisons with system error codes) */
async function codesInSource(): Promise<Map<string, string>> {
  const root = join(packageRoot(), 'src');
  const found = new Map<string, string>();
  const entries = await readdir(root, { recursive: true });
  for (const entry of entries) {
    if (!entry.endsWith('.ts')) continue;
    const text = await readFile(join(root, entry), 'utf8');
    const pattern = /(?:IngestError\(\s*|\bcode:\s*|reject\(\s*)'([A-Z][A-Z0-9_]{2,})'/g;
    for (const match of text.matchAll(pattern)) found.set(match[1]!, entry);
  }
  return found;
}

describe('error reference', () => {
  it('documents every error code with its HTTP status, and nothing else', async () => {
    const documented = await documentedCodes();
    const defined = new Map(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(defined));
  });

  it('lists every code the source raises or records', async () => {
    const documented = await documentedCodes();
    const raised = await codesInSource();
    expect(raised.size).toBeGreaterThan(15);
    const missing = [...raised]
      .filter(([code]) => !documented.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });
});
