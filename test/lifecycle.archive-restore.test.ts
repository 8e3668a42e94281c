import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOrganization, listFileMetrics, type Organization, withTenant } from '../src/db/index.js';
import { archiveFiles, deleteFile, exportFile, ingest, restoreFile } from '../src/ingest/index.js';
import { archiveObjectKey, originalObjectKey } from '../src/storage/index.js';
import { writeGeneratedCsv } from './support/generated-csv.js';
import { runCli } from './support/run-cli.js';
import { createS3TestEnvironment, type S3TestEnvironment } from './support/s3-services.js';

let t: S3TestEnvironment;
let org: Organization;
const files: { fileId: string; sha256: string }[] = [];
const before = new Map<string, { raw: Buffer; normalized: Buffer; metrics: unknown }>();

async function exported(fileId: string, normalize = false): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  await exportFile(t.services.pool, org.id, fileId, out, { normalize, store: t.services.store });
  out.end();
  return Buffer.concat(parts);
}

const metricsOf = (fileId: string) =>
  withTenant(t.services.pool, org.id, (db) => listFileMetrics(db, fileId));

async function chunkRows(): Promise<number> {
  const { rows } = await t.db.pool.query(
    'SELECT count(*)::int AS n FROM storage_meta.file_chunks WHERE organization_id = $1',
    [org.id],
  );
  return rows[0].n;
}

async function snapshot(fileId: string) {
  return {
    raw: await exported(fileId),
    normalized: await exported(fileId, true),
    metrics: await metricsOf(fileId),
  };
}

beforeAll(async () => {
  t = await createS3TestEnvironment();
  org = (await ensureOrganization(t.db.pool, 'archivist')).organization;
  const generated = join(t.home, 'generated.csv');
  await writeGeneratedCsv(generated, 2 * 1024 * 1024, 5);
  for (const path of ['fixtures/sample.csv', 'fixtures/bom-semicolon-crlf.csv', generated]) {
    const r = await ingest(t.services, { kind: 'path', path }, { organization: org, chunkBytes: 64 * 1024 });
    files.push({ fileId: r.fileId, sha256: r.sha256 });
    before.set(r.fileId, await snapshot(r.fileId));
  }
});
afterAll(async () => {
  await t?.close();
});

describe('archive and restore', () => {
  it('leaves files younger than --older-than alone', async () => {
    const result = await archiveFiles(t.services, org, 24 * 3600e3, { name: 'test' });
    expect(result).toEqual({ archived: [], skipped: [] });
  });

  it('moves every chunk into one object per file; exports and metrics read the same', async () => {
    const totalChunks = await chunkRows();
    expect(totalChunks).toBeGreaterThan(30);
    const run = await runCli(['archive', '--org', 'archivist', '--older-than', '0s', '--json'], t.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.archived.map((a: { fileId: string }) => a.fileId).sort()).toEqual(
      files.map((f) => f.fileId).sort(),
    );
    expect(result.archived.reduce((n: number, a: { chunks: number }) => n + a.chunks, 0)).toBe(totalChunks);
    expect(await chunkRows()).toBe(0);
    expect(await t.s3.keys(`orgs/${org.id}/archive/`)).toEqual(
      files.map((f) => archiveObjectKey(org.id, f.fileId)).sort(),
    );
    expect(await t.s3.unfinishedUploads()).toEqual([]);

    for (const { fileId } of files) {
      const was = before.get(fileId)!;
      const now = await snapshot(fileId);
      expect(now.raw.equals(was.raw)).toBe(true);
      expect(now.normalized.equals(was.normalized)).toBe(true);
      expect(now.metrics).toEqual(was.metrics);
    }
    // The CLI reads archived files as well.
    const cliExport = await runCli(['export', files[2]!.fileId], t.env);
    expect(cliExport.code).toBe(0);
    expect(Buffer.from(cliExport.stdout).equals(before.get(files[2]!.fileId)!.raw)).toBe(true);
    const metrics = await runCli(['metrics', files[2]!.fileId, '--json'], t.env);
    expect(JSON.parse(metrics.stdout).metrics).toEqual(before.get(files[2]!.fileId)!.metrics);

    // Archiving again finds nothing left to move.
    expect(await archiveFiles(t.services, org, 0, { name: 'test' })).toEqual({ archived: [], skipped: [] });
  });

  it('refuses a damaged archive on read and on restore, and the file stays archived', async () => {
    const { fileId } = files[0]!;
    const key = archiveObjectKey(org.id, fileId);
    const good = await t.services.store.get(key);
    const goodBytes: Buffer[] = [];
    for await (const b of good) goodBytes.push(b as Buffer);
    const damaged = Buffer.concat(goodBytes);
    const flipped = damaged.length - 40;
    damaged[flipped] = damaged.readUInt8(flipped) ^ 0xff;
    await t.s3.client.send(new PutObjectCommand({ Bucket: t.s3.bucket, Key: key, Body: damaged }));

    await expect(exported(fileId)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    await expect(restoreFile(t.services, org, fileId, { name: 'test' })).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
    });
    const { rows } = await t.db.pool.query(
      'SELECT archived_at IS NOT NULL AS archived FROM storage_meta.files WHERE id = $1',
      [fileId],
    );
    expect(rows[0].archived).toBe(true);
    expect(await chunkRows()).toBe(0);

    await t.s3.client.send(
      new PutObjectCommand({ Bucket: t.s3.bucket, Key: key, Body: Buffer.concat(goodBytes) }),
    );
    expect((await exported(fileId)).equals(before.get(fileId)!.raw)).toBe(true);
  });

  it('restores the chunks, deletes the archive object, and exports the same bytes', async () => {
    for (const { fileId } of files) {
      const run = await runCli(['restore', fileId, '--json'], t.env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ fileId, restored: true });
    }
    expect(await t.s3.keys(`orgs/${org.id}/archive/`)).toEqual([]);
    const { rows } = await t.db.pool.query(
      `SELECT count(*) FILTER (WHERE archived_at IS NOT NULL OR archive_key IS NOT NULL)::int AS archived,
              sum(chunk_count)::int AS chunks FROM storage_meta.files WHERE organization_id = $1`,
      [org.id],
    );
    expect(rows[0].archived).toBe(0);
    expect(await chunkRows()).toBe(rows[0].chunks);
    for (const { fileId } of files) {
      const now = await snapshot(fileId);
      expect(now.raw.equals(before.get(fileId)!.raw)).toBe(true);
      expect(now.normalized.equals(before.get(fileId)!.normalized)).toBe(true);
    }
    const again = await runCli(['restore', files[0]!.fileId], t.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not archived');
  });

  it('deletes an archived file together with its original and its archive object', async () => {
    const { fileId, sha256 } = files[1]!;
    const archived = await archiveFiles(t.services, org, 0, { name: 'test' });
    expect(archived.archived).toHaveLength(files.length);
    await deleteFile(t.services.pool, t.services.store, org.id, fileId, { name: 'test' });
    const keys = await t.s3.keys(`orgs/${org.id}/`);
    expect(keys).not.toContain(archiveObjectKey(org.id, fileId));
    expect(keys).not.toContain(originalObjectKey(org.id, sha256));
    expect(keys).toContain(archiveObjectKey(org.id, files[0]!.fileId));
  });
});

describe('a read while the chunks move', () => {
  /** Starts an export into a tiny buffer, lets it stall on backpressure, runs `move`, then drains it. */
  async function exportAcross(fileId: string, move: () => Promise<unknown>): Promise<Buffer> {
    const out = new PassThrough({ highWaterMark: 1024 });
    const done = exportFile(t.services.pool, org.id, fileId, out, { store: t.services.store }).then(() =>
      out.end(),
    );
    // The export holds one page of chunks and waits for 'drain': the rest must come from the new place.
    while (!out.writableNeedDrain) await new Promise((resolve) => setTimeout(resolve, 5));
    await move();
    const parts: Buffer[] = [];
    for await (const part of out) parts.push(part as Buffer);
    await done;
    return Buffer.concat(parts);
  }

  it('continues from the archive when the file is archived mid-export, and back when restored', async () => {
    const { fileId } = files[2]!;
    await restoreFile(t.services, org, fileId, { name: 'test' });
    const expected = before.get(fileId)!.raw;
    const whileArchiving = await exportAcross(fileId, () =>
      archiveFiles(t.services, org, 0, { name: 'test' }),
    );
    expect(whileArchiving.equals(expected)).toBe(true);
    const whileRestoring = await exportAcross(fileId, () =>
      restoreFile(t.services, org, fileId, { name: 'test' }),
    );
    expect(whileRestoring.equals(expected)).toBe(true);
  });
});
