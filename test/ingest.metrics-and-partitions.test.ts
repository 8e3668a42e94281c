import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFileMetrics, withTenant } from '../src/db/index.js';
import { ingest } from '../src/ingest/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
let dir: string;
beforeAll(async () => {
  env = await createTestEnvironment();
  dir = await mkdtemp(join(tmpdir(), 'ingest-partitions-'));
});
afterAll(async () => {
  await env?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('metrics rows', () => {
  it('describe the file and every column of the sample', async () => {
    const org = await env.organization('metrics');
    const result = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/sample.csv' },
      { organization: org, audit: 'january' },
    );
    const metrics = await withTenant(env.services.pool, org.id, (db) => listFileMetrics(db, result.fileId));
    const get = (column: string | null, type: string) =>
      metrics.find((m) => m.columnName === column && m.metricType === type);

    expect(get(null, 'row_count')?.numericValue).toBe(10);
    expect(get(null, 'column_count')?.numericValue).toBe(8);
    expect(get(null, 'byte_count')?.numericValue).toBe(result.bytes);
    expect(get(null, 'chunk_count')?.numericValue).toBe(result.chunks);
    expect(get(null, 'stored_bytes')?.numericValue).toBe(result.storedBytes);
    expect(get(null, 'rejected_row_count')?.numericValue).toBe(0);

    expect(get('order_id', 'inferred_type')?.textValue).toBe('integer');
    expect(get('order_id', 'min')?.numericValue).toBe(1001);
    expect(get('order_id', 'max')?.numericValue).toBe(1010);
    expect(get('order_id', 'mean')?.numericValue).toBeCloseTo(1005.5, 10);
    expect(get('order_id', 'distinct_estimate')?.numericValue).toBe(10);

    expect(get('amount', 'inferred_type')?.textValue).toBe('decimal');
    expect(get('amount', 'min')?.numericValue).toBe(-15);
    expect(get('amount', 'max')?.numericValue).toBe(1250);
    expect(get('amount', 'mean')?.numericValue).toBeCloseTo(193.473, 3);

    expect(get('paid', 'inferred_type')?.textValue).toBe('boolean');
    expect(get('order_date', 'inferred_type')?.textValue).toBe('date');
    expect(get('order_date', 'min')?.textValue).toBe('2024-01-03');
    expect(get('order_date', 'max')?.textValue).toBe('2024-01-11');
    expect(get('created_at', 'inferred_type')?.textValue).toBe('timestamp');

    expect(get('customer', 'inferred_type')?.textValue).toBe('text');
    expect(get('customer', 'distinct_estimate')?.numericValue).toBe(8);
    expect(get('customer', 'min_length')?.numericValue).toBe(3);
    expect(get('note', 'null_count')?.numericValue).toBe(2);
    expect(get('note', 'non_null_count')?.numericValue).toBe(8);

    const audit = await env.admin.query(
      `SELECT count(*)::int AS n FROM analytics.metrics m JOIN audit.audits a ON a.id = m.audit_id
       WHERE a.name = 'january' AND m.metric_type = 'row_count'`,
    );
    expect(audit.rows[0].n).toBe(1);
  });
});

describe('chunks', () => {
  it('of several files spread over the hash partitions, in order and complete', async () => {
    const org = await env.organization('partitions');
    const ids: string[] = [];
    for (let f = 0; f < 8; f++) {
      const lines = ['id,value,label'];
      for (let i = 0; i < 6000; i++)
        lines.push(`${i},${(i * 7919 + f) % 100000},"label ${f}-${i}, with comma"`);
      const path = join(dir, `file-${f}.csv`);
      await writeFile(path, `${lines.join('\n')}\n`);
      const result = await ingest(
        env.services,
        { kind: 'path', path },
        { organization: org, chunkBytes: 64 * 1024 },
      );
      expect(result.chunks).toBeGreaterThan(2);
      expect(result.rows).toBe(6000);
      ids.push(result.fileId);
    }
    const { rows } = await env.admin.query(
      `SELECT count(DISTINCT tableoid)::int AS partitions, count(*)::int AS chunks,
              bool_and(first_row >= 1) AS numbered FROM storage_meta.file_chunks WHERE organization_id = $1`,
      [org.id],
    );
    expect(rows[0].partitions).toBeGreaterThan(1);
    expect(rows[0].numbered).toBe(true);
    const perFile = await env.admin.query(
      `SELECT file_id, sum(row_count)::int AS rows, max(chunk_index) + 1 = count(*) AS contiguous,
              min(first_row) AS first FROM storage_meta.file_chunks WHERE organization_id = $1 GROUP BY file_id`,
      [org.id],
    );
    expect(perFile.rows).toHaveLength(8);
    for (const r of perFile.rows) expect(r).toMatchObject({ rows: 6000, contiguous: true, first: '1' });
  });
});
