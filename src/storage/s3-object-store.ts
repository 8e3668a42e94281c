import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type ListMultipartUploadsCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { IngestError } from '../errors.js';
import { createHashMeter } from '../hash-meter.js';
import { MiB } from '../limits.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';
import { isS3NotFound, isS3NotImplemented, s3StorageError } from './s3-errors.js';

/**
 * Multipart part size and parts in flight. An upload buffers at most PART_BYTES x QUEUE_SIZE (32 MiB)
 * whatever the object's size; 8 MiB parts reach S3's 10,000-part limit at 78 GiB, far above the
 * largest upload accepted by default (INGEST_MAX_UPLOAD_BYTES, 10 GiB). S3's minimum part size is 5 MiB.
 */
export const S3_UPLOAD = { partBytes: 8 * MiB, queueSize: 4 } as const;

/**
 * Objects in an S3 bucket (AWS, or any S3-compatible endpoint). Puts stream through a multipart upload;
 * each part carries its SHA-256 (x-amz-checksum-sha256), which S3 verifies on receipt, and the whole
 * stream is hashed on the way: the upload completes only when that digest equals the pipeline's.
 * A failed put aborts its multipart upload, so no parts are left behind to pay for.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly upload: { partBytes: number; queueSize: number } = S3_UPLOAD,
  ) {
    this.description = `s3://${bucket}`;
  }

  async put(
    key: string,
    body: Readable,
    options: { size?: number; sha256?: string } = {},
  ): Promise<ObjectInfo> {
    const where = `${this.description}/${key}`;
    // Verified before the stream ends: a mismatch errors the body, so the upload never sends its last
    // part or completes, and is aborted instead.
    const hashMeter = createHashMeter({
      atEnd(bytes, sha256) {
        if (options.sha256 !== undefined && sha256 !== options.sha256) {
          throw new IngestError(
            'CHECKSUM_MISMATCH',
            `bytes sent to ${where} hash to ${sha256}, expected ${options.sha256}`,
          );
        }
        if (options.size !== undefined && bytes !== options.size) {
          throw new IngestError(
            'CHECKSUM_MISMATCH',
            `${bytes} bytes sent to ${where}, expected ${options.size}`,
          );
        }
      },
    });
    const meter = hashMeter.transform;
    let sourceError: unknown;
    body.once('error', (err) => {
      sourceError = err;
      meter.destroy(err);
    });
    body.pipe(meter);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: meter,
        ChecksumAlgorithm: 'SHA256',
        ...(options.sha256 !== undefined && { Metadata: { sha256: options.sha256 } }),
      },
      partSize: this.upload.partBytes,
      queueSize: this.upload.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // lib-storage has already tried AbortMultipartUpload; abort() also stops uploads still in flight.
      await upload.abort().catch(() => undefined);
      body.destroy();
      meter.destroy();
      if (err instanceof IngestError) throw err;
      if (sourceError instanceof IngestError) throw sourceError;
      const failure = s3StorageError(err, `could not store ${where}`);
      if (sourceError !== undefined && sourceError !== err) failure.cause = sourceError;
      throw failure;
    }
    // Durable and complete: the object S3 now holds has the size that was hashed.
    const size = hashMeter.bytes();
    const stored = await this.head(key);
    if (stored?.size !== size) {
      await this.delete(key).catch(() => undefined);
      throw new IngestError(
        'CHECKSUM_MISMATCH',
        `${where} holds ${stored?.size ?? 'no'} bytes after upload, ${size} were sent`,
      );
    }
    return { size, sha256: hashMeter.sha256() };
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(out.Body instanceof Readable)) throw new Error('GetObject returned no stream');
      return out.Body;
    } catch (err) {
      if (isS3NotFound(err)) {
        throw new IngestError(
          'SOURCE_NOT_FOUND',
          `object ${key} is missing from ${this.description}`,
          {},
          { cause: err },
        );
      }
      throw s3StorageError(err, `could not read ${this.description}/${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0 };
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw s3StorageError(err, `could not read ${this.description}/${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isS3NotFound(err)) return;
      throw s3StorageError(err, `could not delete ${this.description}/${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token !== undefined && { ContinuationToken: token }),
          }),
        );
      } catch (err) {
        throw s3StorageError(err, `could not list ${this.description}/${prefix}`);
      }
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async abortIncompleteUploads(
    prefix: string,
    isAbandoned: (key: string) => Promise<boolean>,
  ): Promise<number | null> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page: ListMultipartUploadsCommandOutput;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(keyMarker !== undefined && { KeyMarker: keyMarker }),
            ...(uploadIdMarker !== undefined && { UploadIdMarker: uploadIdMarker }),
          }),
        );
      } catch (err) {
        if (isS3NotImplemented(err)) return null;
        throw s3StorageError(err, `could not list the unfinished uploads of ${this.description}/${prefix}`);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !(await isAbandoned(upload.Key))) continue;
        try {
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          aborted++;
        } catch (err) {
          if (isS3NotImplemented(err)) return null;
          if (!isS3NotFound(err)) throw s3StorageError(err, `could not abort an upload to ${upload.Key}`);
        }
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return aborted;
  }
}
