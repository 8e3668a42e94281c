import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originalObjectKey } from '../src/storage/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { writeGeneratedCsv } from './support/generated-csv.js';
import { runCli } from './support/run-cli.js';
import { startS3Server, type TestS3Server } from './support/s3-server.js';

let db: TestDatabase;
let s3: TestS3Server;
let home: string;
let env: Record<string, string>;
let csvPath: string;

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startS3Server()]);
  home = await mkdtemp(join(tmpdir(), 'ingest-s3-cli-'));
  env = { DATABASE_URL: db.url, INGEST_HOME: home, ...s3.env };
  // A source bucket apart from the store's: imports read any bucket the credentials can.
  await s3.client.send(new CreateBucketCommand({ Bucket: 'incoming' }));
  csvPath = join(home, 'data.csv');
  await writeGeneratedCsv(csvPath, 10 * 1024 * 1024, 3);
  await new Upload({
    client: s3.client,
    params: { Bucket: 'incoming', Key: 'exports/2026/data.csv', Body: createReadStream(csvPath) },
  }).done();
});
afterAll(async () => {
  await db?.drop();
  await s3?.close();
  await rm(home, { recursive: true, force: true });
});

const organizationId = async (slug: string): Promise<string> =>
  (await db.pool.query('SELECT id FROM tenant.organizations WHERE slug = $1', [slug])).rows[0].id;

describe('ingest with an S3 bucket (CLI)', () => {
  it('ingests s3://bucket/key, keeps the original in the bucket, exports it and deletes it', async () => {
    const original = await readFile(csvPath);
    const sha256 = createHash('sha256').update(original).digest('hex');

    const run = await runCli(['s3://incoming/exports/2026/data.csv', '--org', 's3cli', '--json'], env);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ filename: 'data.csv', sha256, bytes: original.length, duplicate: false });

    const orgId = await organizationId('s3cli');
    const key = originalObjectKey(orgId, sha256);
    expect(await s3.keys(`orgs/${orgId}/`)).toEqual([key]);
    expect(await s3.unfinishedUploads()).toEqual([]);

    const originalOut = join(home, 'original.csv');
    const exported = await runCli(['export', result.fileId, '--original', '-o', originalOut], env);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect((await readFile(originalOut)).equals(original)).toBe(true);

    const rebuiltOut = join(home, 'rebuilt.csv');
    expect((await runCli(['export', result.fileId, '-o', rebuiltOut], env)).code).toBe(0);
    expect((await stat(rebuiltOut)).size).toBe(original.length);
    expect(
      createHash('sha256')
        .update(await readFile(rebuiltOut))
        .digest('hex'),
    ).toBe(sha256);

    expect((await runCli(['export', result.fileId, '--original', '--normalize'], env)).code).toBe(2);

    const deleted = await runCli(['delete', result.fileId, '--json'], env);
    expect(deleted.code).toBe(0);
    expect(JSON.parse(deleted.stdout)).toEqual({ fileId: result.fileId, objectKey: key });
    expect(await s3.keys(`orgs/${orgId}/`)).toEqual([]);
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1',
      [orgId],
    );
    expect(rows[0].n).toBe(0);
    const again = await runCli(['export', result.fileId, '--original'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('FILE_NOT_FOUND');
  });

  it('reports a missing object as SOURCE_NOT_FOUND and a malformed URL as a usage error', async () => {
    const missing = await runCli(['s3://incoming/exports/none.csv', '--org', 's3cli', '--json'], env);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      filename: 's3://incoming/exports/none.csv',
      error: { code: 'SOURCE_NOT_FOUND' },
    });
    const bad = await runCli(['s3://incoming', '--org', 's3cli', '--json'], env);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'INVALID_OPTION' } });
  });
});
