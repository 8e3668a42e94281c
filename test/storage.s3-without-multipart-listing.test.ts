import { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../src/storage/index.js';
import { startS3Server, type TestS3Server } from './support/s3-server.js';

/** Plain s3rver answers ListMultipartUploads with 501 NotImplemented, as some S3-compatible stores do. */
let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3Server('plain-store', { plain: true });
});
afterAll(async () => {
  await s3?.close();
});

describe('S3 object store on a store without ListMultipartUploads', () => {
  it('answers the upload sweep with null (not supported) instead of failing', async () => {
    const store = new S3ObjectStore(s3.client, s3.bucket);
    await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'orgs/p/sha256/x' }));
    expect(await store.abortIncompleteUploads('orgs/p/', async () => true)).toBeNull();
    expect(await s3.unfinishedUploads()).toEqual(['orgs/p/sha256/x']);
  });
});
