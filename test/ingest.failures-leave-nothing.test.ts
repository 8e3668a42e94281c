import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRejectedRows, withTenant } from '../src/db/index.js';
import { ingest } from '../src/ingest/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';
import { ingestFailure, NO_TRACES, organizationTraces } from './support/traces.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.close();
});

const traces = (orgId: string) => organizationTraces(env, orgId);
const nothing = NO_TRACES;
const failure = ingestFailure;

describe('a file that fails', () => {
  it('names the line of a row with the wrong field count and leaves nothing', async () => {
    const org = await env.organization('bad-fields');
    const err = await failure(
      ingest(
        env.services,
        { kind: 'path', path: 'fixtures/field-count-mismatch.csv' },
        { organization: org },
      ),
    );
    expect(err.code).toBe('FIELD_COUNT_MISMATCH');
    expect(err.context.line).toBe(4);
    expect(err.context.file).toBe('field-count-mismatch.csv');
    expect(err.message).toContain('line 4');
    expect(await traces(org.id)).toEqual(nothing);
  });

  it('reports an unclosed quote with its line and leaves nothing', async () => {
    const org = await env.organization('bad-quote');
    const err = await failure(
      ingest(env.services, { kind: 'path', path: 'fixtures/unclosed-quote.csv' }, { organization: org }),
    );
    expect(err.code).toBe('UNCLOSED_QUOTE');
    expect(err.context.line).toBeGreaterThanOrEqual(3);
    expect(await traces(org.id)).toEqual(nothing);
  });

  it('succeeds when retried after a failure (the failed attempt left nothing in the way)', async () => {
    const org = await env.organization('retry');
    await failure(
      ingest(
        env.services,
        { kind: 'path', path: 'fixtures/field-count-mismatch.csv' },
        { organization: org },
      ),
    );
    const result = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/field-count-mismatch.csv' },
      { organization: org, onError: 'skip' },
    );
    expect(result).toMatchObject({ duplicate: false, rows: 3, rejectedRows: 1 });
  });

  it('under skip records each bad row with line, reason and text, and ingests the rest', async () => {
    const org = await env.organization('skip');
    const result = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/skip-mode.csv' },
      { organization: org, onError: 'skip' },
    );
    expect(result).toMatchObject({ rows: 3, rejectedRows: 2 });
    const rejected = await withTenant(env.services.pool, org.id, (db) => listRejectedRows(db, result.fileId));
    expect(rejected).toEqual([
      { line: 3, code: 'FIELD_COUNT_MISMATCH', reason: 'expected 3 fields, found 2', raw: '2,beta' },
      { line: 5, code: 'FIELD_COUNT_MISMATCH', reason: 'expected 3 fields, found 4', raw: '4,delta,40,oops' },
    ]);
  });

  it('fails under skip once more rows than --max-errors are rejected', async () => {
    const org = await env.organization('max-errors');
    const err = await failure(
      ingest(
        env.services,
        { kind: 'path', path: 'fixtures/skip-mode.csv' },
        { organization: org, onError: 'skip', maxErrors: 1 },
      ),
    );
    expect(err.code).toBe('TOO_MANY_ERRORS');
    expect(await traces(org.id)).toEqual(nothing);
  });

  it('refuses a missing file with SOURCE_NOT_FOUND', async () => {
    const org = await env.organization('missing');
    const err = await failure(
      ingest(env.services, { kind: 'path', path: 'fixtures/does-not-exist.csv' }, { organization: org }),
    );
    expect(err.code).toBe('SOURCE_NOT_FOUND');
  });

  it('refuses a bad option naming it', async () => {
    const org = await env.organization('bad-option');
    const err = await failure(
      ingest(
        env.services,
        { kind: 'path', path: 'fixtures/sample.csv' },
        { organization: org, chunkBytes: 12 },
      ),
    );
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toMatch(/chunkBytes must be an integer between 64 KiB and 64 MiB, got 12/);
  });
});
