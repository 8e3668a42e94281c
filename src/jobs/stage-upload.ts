import { randomUUID } from 'node:crypto';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';

/** Where a job's uploaded bytes wait in the object store: under the organization, apart from originals. */
export function stagedUploadKey(organizationId: string, jobId: string): string {
  return `orgs/${organizationId}/jobs/${jobId}`;
}

export interface StagedUpload {
  jobId: string;
  key: string;
  bytes: number;
}

/**
 * Stores an upload's bytes in the object store before its job is queued, so a worker on any machine
 * can read them and one that dies leaves them for the next attempt. The byte limit (maximum upload size
 * or quota left) is enforced as the bytes arrive, as receiving an upload does.
 */
export async function stageUpload(
  store: ObjectStore,
  organizationId: string,
  body: Readable,
  byteLimit: { bytes: number; code: 'UPLOAD_TOO_LARGE' | 'QUOTA_EXCEEDED'; message: string },
  filename: string,
): Promise<StagedUpload> {
  const jobId = randomUUID();
  const key = stagedUploadKey(organizationId, jobId);
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > byteLimit.bytes) {
        callback(new IngestError(byteLimit.code, byteLimit.message, { file: filename, bytes }));
        return;
      }
      callback(null, chunk);
    },
  });
  const out = new PassThrough();
  const piped = pipeline(body, counted, out);
  try {
    const [info] = await Promise.all([store.put(key, out), piped]);
    if (info.size === 0) throw new IngestError('EMPTY_FILE', 'the upload has no bytes', { file: filename });
    return { jobId, key, bytes: info.size };
  } catch (err) {
    out.destroy();
    await store.delete(key).catch(() => undefined);
    throw err;
  }
}
