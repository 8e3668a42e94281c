import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

beforeAll(async () => {
  [db, s3] = await Promise.all([createTestDatabase(), startS3Server()]);
  home = await mkdtemp(join(tmpdir(), 'ingest-s3-fail-'));
  env = { DATABASE_URL: db.url, INGEST_HOME: home, ...s3.env };
});
afterAll(async () => {
  s3.onRequest = undefined;
  await db?.drop();
  await s3?.close();
  await rm(home, { recursive: true, force: true });
});

async function filesOf(slug: string): Promise<{ status: string }[]> {
  const { rows } = await db.pool.query(
    `SELECT f.status FROM storage_meta.files f JOIN tenant.organizations o ON o.id = f.organization_id
     WHERE o.slug = $1`,
    [slug],
  );
  return rows;
}

const isPart = (r: { method: string; query: Record<string, unknown> }, n: number) =>
  r.method === 'PUT' && r.query.partNumber === String(n);

describe('an S3 failure while the original uploads', () => {
  it('fails the ingest with STORAGE_ERROR and aborts the multipart upload, and a retry succeeds', async () => {
    const path = join(home, 'flaky.csv');
    await writeGeneratedCsv(path, 10 * 1024 * 1024, 11);
    // Every attempt at part 2 loses its connection; the server stays up, so the abort goes through.
    s3.onRequest = (r) => isPart(r, 2);
    const failed = await runCli([path, '--org', 'flaky', '--json'], env);
    s3.onRequest = undefined;
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ error: { code: 'STORAGE_ERROR' } });
    expect(await filesOf('flaky')).toEqual([]);
    expect(await s3.unfinishedUploads()).toEqual([]);
    expect(await s3.keys('orgs/')).toEqual([]);

    const retry = await runCli([path, '--org', 'flaky', '--json'], env);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ duplicate: false });
    expect(await filesOf('flaky')).toEqual([{ status: 'ready' }]);
  });

  it('survives the server stopping mid-upload: no ready file, the orphaned upload aborted at the next start', async () => {
    const path = join(home, 'big.csv');
    await writeGeneratedCsv(path, 10 * 1024 * 1024, 12);
    const sha256 = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
    let stopped = false;
    s3.onRequest = (r) => {
      if (!stopped && isPart(r, 2)) {
        stopped = true;
        void s3.kill();
        return true;
      }
      return false;
    };
    const failed = await runCli([path, '--org', 'outage', '--json'], env);
    s3.onRequest = undefined;
    expect(stopped).toBe(true);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ error: { code: 'STORAGE_ERROR' } });
    expect(await filesOf('outage')).toEqual([]);

    await s3.restart();
    const orgId = (await db.pool.query(`SELECT id FROM tenant.organizations WHERE slug = 'outage'`)).rows[0]
      .id;
    const key = originalObjectKey(orgId, sha256);
    // The abort could not reach the stopped server: s3rver still holds the upload's parts on disk.
    expect(await s3.unfinishedUploads()).toEqual([key]);

    // Any command's start-up aborts uploads whose ingest is gone (its file lock is free).
    expect((await runCli(['files', '--org', 'outage'], env)).code).toBe(0);
    expect(await s3.unfinishedUploads()).toEqual([]);

    const retry = await runCli([path, '--org', 'outage', '--json'], env);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ sha256, duplicate: false });
    expect(await filesOf('outage')).toEqual([{ status: 'ready' }]);
    expect(await s3.keys(`orgs/${orgId}/`)).toEqual([key]);
    expect(await s3.unfinishedUploads()).toEqual([]);
  });
});
