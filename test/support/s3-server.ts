import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import S3rver, { type S3rverContext } from 's3rver';
import { createS3Client } from '../../src/storage/index.js';

/** Credentials s3rver accepts; exported to the environment of the test process and of CLI children. */
export const S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
} as const;

/** s3rver's folder of unfinished multipart uploads inside a bucket's folder (one folder per upload). */
const UPLOADS_DIR = '._S3rver_uploads';

export interface TestS3Server {
  bucket: string;
  endpoint: string;
  directory: string;
  /** Environment that points ingest (and the AWS SDK) at this server's bucket. */
  env: Record<string, string>;
  client: S3Client;
  /** Called for every request before s3rver handles it; may return true to cut the connection instead. */
  onRequest:
    | ((request: { method: string; path: string; query: S3rverContext['query'] }) => boolean)
    | undefined;
  /** Stops the server at once, cutting the connections of requests in flight. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder (objects and unfinished uploads survive). */
  restart(): Promise<void>;
  /** Keys of unfinished multipart uploads, read from s3rver's folder. */
  unfinishedUploads(): Promise<string[]>;
  /** Every key in the bucket under a prefix, read over S3. */
  keys(prefix?: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) on 127.0.0.1 and a random port, storing under a temporary folder,
 * path-style, with one bucket. s3rver 3.7 implements neither AbortMultipartUpload nor
 * ListMultipartUploads; a middleware in front of it answers both from its upload folders, so the
 * object store's abort and recovery calls go over HTTP as they do against S3. With `plain: true` it
 * does not: the server answers them as s3rver does (501 NotImplemented, 405 MethodNotAllowed), like
 * S3-compatible stores that leave these operations out.
 */
export async function startS3Server(
  bucket = 'ingest-test',
  options: { plain?: boolean } = {},
): Promise<TestS3Server> {
  Object.assign(process.env, S3_CREDENTIALS, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  let server: S3rver | undefined;
  let port = 0;
  const handle: TestS3Server = {
    bucket,
    endpoint: '',
    directory,
    env: {},
    client: undefined as unknown as S3Client,
    onRequest: undefined,
    async kill() {
      const s = server;
      server = undefined;
      if (!s) return;
      const closed = s.close().catch(() => undefined);
      s.httpServer.closeAllConnections();
      await closed;
    },
    async restart() {
      await handle.kill();
      await listen();
    },
    async unfinishedUploads() {
      const root = join(directory, bucket, UPLOADS_DIR);
      const ids = await readdir(root).catch(() => [] as string[]);
      return Promise.all(ids.map((id) => readFile(join(root, id, 'key'), 'utf8')));
    },
    async keys(prefix = '') {
      const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await handle.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    async close() {
      await handle.kill();
      handle.client?.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };

  const shim = async (ctx: S3rverContext, next: () => Promise<void>): Promise<void> => {
    if (handle.onRequest?.({ method: ctx.method, path: ctx.path, query: ctx.query })) {
      ctx.req.socket.destroy();
      return;
    }
    const [, bucketName, key] = /^\/([^/]+)\/?(.*)$/.exec(ctx.path) ?? [];
    if (options.plain) {
      await next();
      return;
    }
    if (ctx.method === 'DELETE' && bucketName && key && typeof ctx.query.uploadId === 'string') {
      await rm(join(directory, bucketName, UPLOADS_DIR, ctx.query.uploadId), {
        recursive: true,
        force: true,
      });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && bucketName && !key && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const root = join(directory, bucketName, UPLOADS_DIR);
      const ids = await readdir(root).catch(() => [] as string[]);
      const uploads: string[] = [];
      for (const id of ids) {
        const uploadKey = await readFile(join(root, id, 'key'), 'utf8').catch(() => '');
        if (uploadKey.startsWith(prefix))
          uploads.push(`<Upload><Key>${escapeXml(uploadKey)}</Key><UploadId>${id}</UploadId></Upload>`);
      }
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult>' +
        `<Bucket>${escapeXml(bucketName)}</Bucket><IsTruncated>false</IsTruncated>${uploads.join('')}` +
        '</ListMultipartUploadsResult>';
      return;
    }
    await next();
  };

  const listen = async () => {
    const s = new S3rver({
      address: '127.0.0.1',
      port,
      directory,
      silent: true,
      vhostBuckets: false,
      configureBuckets: [{ name: bucket }],
    });
    s.middleware.unshift(shim);
    const address = await s.run();
    port = address.port;
    server = s;
  };
  await listen();
  handle.endpoint = `http://127.0.0.1:${port}`;
  handle.env = {
    ...S3_CREDENTIALS,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    INGEST_S3_BUCKET: bucket,
    INGEST_S3_ENDPOINT: handle.endpoint,
    INGEST_S3_REGION: 'us-east-1',
    INGEST_S3_FORCE_PATH_STYLE: 'true',
  };
  handle.client = createS3Client({
    bucket,
    endpoint: handle.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
  });
  return handle;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
