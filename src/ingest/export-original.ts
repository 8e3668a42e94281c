import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { IngestError, isIngestError } from '../errors.js';
import { createHashMeter } from '../hash-meter.js';
import type { ObjectStore } from '../storage/index.js';
import { getReadyFile } from './export-file.js';

/**
 * Streams a ready file's original bytes, as uploaded, from the object store to `out` (not ended), and
 * checks them against the file's SHA-256 and size on the way: a mismatch fails with CHECKSUM_MISMATCH
 * after the last byte, so a caller writing to a temporary file can discard it.
 */
export async function exportOriginal(
  pool: pg.Pool,
  store: ObjectStore,
  organizationId: string,
  fileId: string,
  out: Writable,
): Promise<{ bytes: number; sha256: string }> {
  const file = await getReadyFile(pool, organizationId, fileId);
  const meter = createHashMeter();
  const body = await store.get(file.objectKey);
  try {
    await pipeline(body, meter.transform, out, { end: false });
  } catch (err) {
    if (isIngestError(err)) throw err;
    throw new IngestError(
      'STORAGE_ERROR',
      `could not read the original of file ${fileId} from ${store.description}: ${(err as Error).message}`,
      { fileId },
      { cause: err },
    );
  }
  const sha256 = meter.sha256();
  const bytes = meter.bytes();
  if (sha256 !== file.sha256 || bytes !== file.sizeBytes) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `the stored original of file ${fileId} hashes to ${sha256} (${bytes} bytes), expected ${file.sha256} (${file.sizeBytes} bytes)`,
      { fileId },
    );
  }
  return { bytes, sha256 };
}
