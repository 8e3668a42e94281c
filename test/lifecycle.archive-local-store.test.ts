import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFiles, exportFile, ingest, restoreFile } from '../src/ingest/index.js';
import { archiveObjectKey } from '../src/storage/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.close();
});

async function exported(orgId: string, fileId: string): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  await exportFile(env.services.pool, orgId, fileId, out, { store: env.services.store });
  out.end();
  return Buffer.concat(parts);
}

describe('archive on the local-folder store', () => {
  it('archives, reads and restores a file the same way as on S3', async () => {
    const org = await env.organization('local-archive');
    const path = 'fixtures/bom-semicolon-crlf.csv';
    const { fileId } = await ingest(env.services, { kind: 'path', path }, { organization: org });
    const { archived } = await archiveFiles(env.services, org, 0, { name: 'test' });
    expect(archived).toEqual([expect.objectContaining({ fileId, key: archiveObjectKey(org.id, fileId) })]);
    expect(await env.services.store.head(archiveObjectKey(org.id, fileId))).not.toBeNull();
    expect((await exported(org.id, fileId)).equals(await readFile(path))).toBe(true);
    expect(await restoreFile(env.services, org, fileId, { name: 'test' })).toMatchObject({ restored: true });
    expect(await env.services.store.head(archiveObjectKey(org.id, fileId))).toBeNull();
    expect((await exported(org.id, fileId)).equals(await readFile(path))).toBe(true);
  });
});
