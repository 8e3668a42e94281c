import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.js';
import { IngestError } from '../errors.js';
import { createS3Client, isS3NotFound, s3StorageError } from '../storage/index.js';
import { pinRequestTarget } from './s3-request-target.js';
import { safeFilename } from './safe-filename.js';
import type { IngestSource } from './types.js';

/** A parsed `s3://bucket/key` URL. */
export interface S3Location {
  bucket: string;
  key: string;
}

/** True when `text` names an S3 object (`s3://...`) rather than a local path. */
export function isS3Url(text: string): boolean {
  return text.startsWith('s3://');
}

/**
 * Parses `s3://bucket/key` as the CLI's operator means it: any bucket, the key as written (S3 keys may
 * hold anything). INVALID_OPTION naming the URL when the bucket or key is missing. The import endpoint
 * parses with parseImportUrl instead, which refuses every spelling a server could resolve elsewhere.
 */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) {
    throw new IngestError(
      'INVALID_OPTION',
      `not an S3 object URL: ${JSON.stringify(url)} (use s3://bucket/key)`,
      {
        option: 'url',
      },
    );
  }
  return { bucket: match[1]!, key: match[2]! };
}

/**
 * Opens an S3 object as an ingest source: the GetObject body streams through the pipeline (spooled and
 * hashed like an HTTP upload), with the object's ContentLength as the declared size so byte limits
 * apply before any byte is read. The client is the configured store's (same endpoint, region and
 * credentials) unless one is passed. SOURCE_NOT_FOUND for a missing object or bucket, or one the
 * credentials may not read. Used by `ingest s3://...` (a URL) and the import endpoint (a location it
 * parsed and authorized; `pinTarget` then refuses to send a request that names anything else).
 * The file name is the key's last segment, cleaned as an upload's name is.
 */
export async function openS3Source(
  url: string | S3Location,
  config: Pick<Config, 's3'>,
  options: { client?: S3Client; signal?: AbortSignal; pinTarget?: boolean } = {},
): Promise<IngestSource> {
  const location = typeof url === 'string' ? parseS3Url(url) : url;
  const { bucket, key } = location;
  const where = typeof url === 'string' ? url : `s3://${bucket}/${key}`;
  const client =
    options.client ??
    createS3Client(
      config.s3 ?? {
        bucket,
        region: process.env.AWS_REGION || 'us-east-1',
        forcePathStyle: false,
      },
    );
  const filename = safeFilename(key.slice(key.lastIndexOf('/') + 1) || key);
  const command = new GetObjectCommand({ Bucket: bucket, Key: key });
  if (options.pinTarget) pinRequestTarget(command, location);
  try {
    const out = await client.send(command, options.signal ? { abortSignal: options.signal } : {});
    if (!(out.Body instanceof Readable)) throw new Error('GetObject returned no stream');
    return {
      kind: 'stream',
      stream: out.Body,
      filename,
      ...(out.ContentLength !== undefined && { declaredBytes: out.ContentLength }),
    };
  } catch (err) {
    if (err instanceof IngestError) throw err;
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (isS3NotFound(err) || status === 403 || (err as { name?: string }).name === 'NoSuchBucket') {
      throw new IngestError(
        'SOURCE_NOT_FOUND',
        `cannot read ${where}: ${(err as Error).name ?? 'not found'}`,
        { file: filename },
        { cause: err },
      );
    }
    throw s3StorageError(err, `cannot read ${where}`).withContext({ file: filename });
  }
}
