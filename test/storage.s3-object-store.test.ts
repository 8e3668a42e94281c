import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createObjectStore, S3ObjectStore } from '../src/storage/index.js';
import { startS3Server, type TestS3Server } from './support/s3-server.js';

let s3: TestS3Server;
let store: S3ObjectStore;
beforeAll(async () => {
  s3 = await startS3Server();
  store = new S3ObjectStore(s3.client, s3.bucket);
});
afterAll(async () => {
  await s3?.close();
});

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream of `bytes` in pieces of `piece` bytes, as a file read would deliver them. */
function piecewise(bytes: Buffer, piece = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += piece) yield bytes.subarray(at, at + piece);
    })(),
  );
}

async function read(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe('S3 object store', () => {
  it('is what createObjectStore returns when a bucket is configured', async () => {
    const configured = await createObjectStore(loadConfig({ ...s3.env, INGEST_HOME: '/tmp/unused' }));
    expect(configured).toBeInstanceOf(S3ObjectStore);
    expect(configured.description).toBe(`s3://${s3.bucket}`);
    const local = await createObjectStore(loadConfig({ INGEST_HOME: '/tmp/unused' }));
    expect(local.description).toBe('file:///tmp/unused/objects');
  });

  it('stores a 20 MiB object in multipart parts of 8 MiB and reads it back byte for byte', async () => {
    const bytes = randomBytes(20 * 1024 * 1024);
    const parts: number[] = [];
    s3.onRequest = (r) => {
      if (r.method === 'PUT' && typeof r.query.partNumber === 'string')
        parts.push(Number(r.query.partNumber));
      return false;
    };
    try {
      const info = await store.put('orgs/o/sha256/big', piecewise(bytes), {
        size: bytes.length,
        sha256: sha256(bytes),
      });
      expect(info).toEqual({ size: bytes.length, sha256: sha256(bytes) });
    } finally {
      s3.onRequest = undefined;
    }
    expect(parts.sort()).toEqual([1, 2, 3]);
    expect(await store.head('orgs/o/sha256/big')).toEqual({ size: bytes.length });
    expect((await read(await store.get('orgs/o/sha256/big'))).equals(bytes)).toBe(true);
    expect(await s3.unfinishedUploads()).toEqual([]);
  });

  it('refuses bytes that do not hash to the expected SHA-256, leaving no object and no parts', async () => {
    const bytes = randomBytes(12 * 1024 * 1024);
    const put = store.put('orgs/o/sha256/wrong', piecewise(bytes), { sha256: sha256(Buffer.from('other')) });
    await expect(put).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    expect(await store.head('orgs/o/sha256/wrong')).toBeNull();
    expect(await s3.unfinishedUploads()).toEqual([]);
  });

  it('aborts the multipart upload when the source fails midway', async () => {
    const source = new Readable({ read() {} });
    source.push(randomBytes(9 * 1024 * 1024));
    setTimeout(() => source.destroy(new Error('disk went away')), 50);
    await expect(store.put('orgs/o/sha256/broken', source)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(await store.head('orgs/o/sha256/broken')).toBeNull();
    expect(await s3.unfinishedUploads()).toEqual([]);
  });

  it('answers missing objects: get SOURCE_NOT_FOUND, head null, delete quietly', async () => {
    await expect(store.get('orgs/o/none')).rejects.toMatchObject({ code: 'SOURCE_NOT_FOUND' });
    expect(await store.head('orgs/o/none')).toBeNull();
    await expect(store.delete('orgs/o/none')).resolves.toBeUndefined();
  });

  it('lists keys under a prefix and deletes them', async () => {
    for (const k of ['a', 'b', 'c']) await store.put(`orgs/list/sha256/${k}`, piecewise(Buffer.from(k)));
    await store.put('orgs/other/sha256/x', piecewise(Buffer.from('x')));
    const keys: string[] = [];
    for await (const key of store.list('orgs/list/')) keys.push(key);
    expect(keys.sort()).toEqual(['orgs/list/sha256/a', 'orgs/list/sha256/b', 'orgs/list/sha256/c']);
    await store.delete('orgs/list/sha256/b');
    expect(await s3.keys('orgs/list/')).toEqual(['orgs/list/sha256/a', 'orgs/list/sha256/c']);
  });

  it('aborts only the unfinished uploads its caller says are abandoned', async () => {
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    for (const key of ['orgs/u/sha256/dead', 'orgs/u/sha256/live']) {
      await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
    }
    const aborted = await store.abortIncompleteUploads('orgs/u/', async (key) => key.endsWith('dead'));
    expect(aborted).toBe(1);
    expect(await s3.unfinishedUploads()).toEqual(['orgs/u/sha256/live']);
    await store.abortIncompleteUploads('orgs/u/', async () => true);
    expect(await s3.unfinishedUploads()).toEqual([]);
  });
});
