import { IngestError } from '../errors.js';

interface S3ErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** True for "no such object" answers (GetObject's NoSuchKey, HeadObject's bodiless 404). */
export function isS3NotFound(err: unknown): boolean {
  const e = err as S3ErrorShape | undefined;
  return (
    e?.name === 'NoSuchKey' ||
    e?.name === 'NotFound' ||
    e?.Code === 'NoSuchKey' ||
    e?.$metadata?.httpStatusCode === 404
  );
}

/**
 * True when the store does not implement the operation: S3's NotImplemented (501), or MethodNotAllowed
 * (405) for a method the store does not route for that resource. Plain s3rver answers
 * ListMultipartUploads with the first and AbortMultipartUpload with the second; other S3-compatible
 * stores leave out the same optional operations.
 */
export function isS3NotImplemented(err: unknown): boolean {
  const e = err as S3ErrorShape | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return (
    e?.name === 'NotImplemented' ||
    e?.Code === 'NotImplemented' ||
    e?.name === 'MethodNotAllowed' ||
    e?.Code === 'MethodNotAllowed' ||
    status === 501 ||
    status === 405
  );
}

/**
 * STORAGE_ERROR for a failed S3 call, keeping the SDK error as `cause`. The message names the operation
 * and the S3 error name only: SDK messages carry no credentials, and no request or response bodies are
 * echoed.
 */
export function s3StorageError(err: unknown, what: string): IngestError {
  if (err instanceof IngestError) return err;
  const e = err as S3ErrorShape | undefined;
  const detail = [e?.name, e?.message].filter(Boolean).join(': ') || String(err);
  return new IngestError('STORAGE_ERROR', `${what}: ${detail}`, {}, { cause: err });
}
