import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixture } from '../bench/generate-fixture.js';
import { MOVE_EVERY_CHUNKS } from '../src/db/chunk-writer.js';
import { exportFile, ingest } from '../src/ingest/index.js';
import { originalObjectKey } from '../src/storage/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.close();
});

async function exported(orgId: string, fileId: string, normalize = false): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  await exportFile(env.services.pool, orgId, fileId, out, { normalize, store: env.services.store });
  out.end();
  return Buffer.concat(parts);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ingest then export', () => {
  it('reproduces the upload byte for byte and stores the original once', async () => {
    const org = await env.organization('roundtrip');
    const path = 'fixtures/sample.csv';
    const original = await readFile(path);
    const result = await ingest(env.services, { kind: 'path', path }, { organization: org });
    expect(result).toMatchObject({
      duplicate: false,
      rows: 10,
      columns: 8,
      bytes: original.length,
      sha256: sha256(original),
    });
    expect(result.chunks).toBeGreaterThanOrEqual(1);
    expect((await exported(org.id, result.fileId)).equals(original)).toBe(true);
    const head = await env.services.store.head(originalObjectKey(org.id, result.sha256));
    expect(head?.size).toBe(original.length);
  });

  it('keeps the BOM, CRLF and delimiter so the export is identical', async () => {
    const org = await env.organization('roundtrip-bom');
    const path = 'fixtures/bom-semicolon-crlf.csv';
    const result = await ingest(env.services, { kind: 'path', path }, { organization: org });
    expect(result).toMatchObject({ rows: 3, columns: 3, delimiter: ';' });
    expect((await exported(org.id, result.fileId)).equals(await readFile(path))).toBe(true);
    expect((await exported(org.id, result.fileId, true)).toString()).toBe(
      'id,city,population\n1,Paris,2161000\n2,Saint-Denis; Seine,112000\n3,Lyon,516000\n',
    );
  });

  it('keeps every chunk of a file moved in several batches, in order', async () => {
    const org = await env.organization('roundtrip-batches');
    const path = join(env.home, 'many-chunks.csv');
    // 64 KiB chunks of a ~9 MB file: well over MOVE_EVERY_CHUNKS, so the writer moves more than once.
    await writeFixture(path, 9 * 1024 * 1024, 5);
    const original = await readFile(path);
    const result = await ingest(
      env.services,
      { kind: 'path', path },
      { organization: org, chunkBytes: 64 * 1024 },
    );
    expect(result.chunks).toBeGreaterThan(2 * MOVE_EVERY_CHUNKS);
    const { rows } = await env.admin.query(
      `SELECT count(*)::int AS n, min(chunk_index) AS lo, max(chunk_index) AS hi, sum(row_count)::int AS r
         FROM storage_meta.file_chunks WHERE file_id = $1`,
      [result.fileId],
    );
    expect(rows[0]).toEqual({ n: result.chunks, lo: 0, hi: result.chunks - 1, r: result.rows });
    expect((await exported(org.id, result.fileId)).equals(original)).toBe(true);
  });

  it('treats the same bytes again as a duplicate without parsing them', async () => {
    const org = await env.organization('dedup');
    const first = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/sample.csv' },
      { organization: org },
    );
    const tasksBefore = env.chunkTasks();
    const second = await ingest(
      env.services,
      { kind: 'path', path: 'fixtures/sample.csv', filename: 'again.csv' },
      { organization: org },
    );
    expect(second.duplicate).toBe(true);
    expect(second.fileId).toBe(first.fileId);
    expect(second.rows).toBe(first.rows);
    expect(env.chunkTasks()).toBe(tasksBefore);
    const { rows } = await env.admin.query(
      'SELECT count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1',
      [org.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('keeps the same bytes of two organizations apart', async () => {
    const a = await env.organization('tenant-a');
    const b = await env.organization('tenant-b');
    const ra = await ingest(env.services, { kind: 'path', path: 'fixtures/sample.csv' }, { organization: a });
    const rb = await ingest(env.services, { kind: 'path', path: 'fixtures/sample.csv' }, { organization: b });
    expect(rb.duplicate).toBe(false);
    expect(rb.fileId).not.toBe(ra.fileId);
  });

  it('ingests a stream (spooled) the same way as a path', async () => {
    const org = await env.organization('streamed');
    const bytes = await readFile('fixtures/sample.csv');
    const stream = new PassThrough();
    stream.end(bytes);
    const result = await ingest(
      env.services,
      { kind: 'stream', stream, filename: 'upload.csv' },
      { organization: org },
    );
    expect(result).toMatchObject({ filename: 'upload.csv', rows: 10, sha256: sha256(bytes) });
  });
});
