import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../src/storage/index.js';
import { startS3Server, type TestS3Server } from './s3-server.js';
import { startTestServer, type TestServer } from './server.js';

/** The bucket of the store's originals on the import tests' s3rver. */
export const IMPORT_STORE_BUCKET = 'ingest-store';

/**
 * A test server whose import endpoint reads from an s3rver: `buckets` are made there (the store's own
 * bucket already is) and filled with their objects, key by key in order; `allowed` are the buckets
 * imports may name (every bucket given, unless said). `store` puts the originals on the same s3rver.
 */
export async function startImportServer(options: {
  buckets: Record<string, Record<string, string | Buffer>>;
  allowed?: string[];
  store?: (s3: TestS3Server) => ObjectStore;
}): Promise<{ s3: TestS3Server; t: TestServer }> {
  const s3 = await startS3Server(IMPORT_STORE_BUCKET);
  for (const [bucket, objects] of Object.entries(options.buckets)) {
    if (bucket !== IMPORT_STORE_BUCKET) await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const [key, body] of Object.entries(objects))
      await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  const t = await startTestServer({
    imports: {
      buckets: options.allowed ?? Object.keys(options.buckets),
      s3: {
        bucket: IMPORT_STORE_BUCKET,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
      },
    },
    ...(options.store && { store: options.store(s3) }),
  });
  return { s3, t };
}

/** `POST /v1/files/import` with a JSON body. */
export function importInto(t: TestServer, key: string, body: unknown, query = ''): Promise<Response> {
  return t.request(`/v1/files/import${query}`, key, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
