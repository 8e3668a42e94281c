import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import xxhash from 'xxhash-wasm';
import { type FileRecord, getFile, readChunks, type StoredChunk, withTenant } from '../db/index.js';
import { IngestError, isIngestError } from '../errors.js';
import { createHashMeter } from '../hash-meter.js';
import type { ObjectStore } from '../storage/index.js';
import { decodeArchive } from './archive-format.js';

/** Chunks fetched per query from PostgreSQL: bounds memory to a few MiB whatever the file size. */
const PAGE = 8;

/**
 * A ready file's chunks in order, wherever they are: in storage_meta.file_chunks, or in the file's
 * archive object (see archive-file.ts). Every reader of chunk payloads goes through here, so archived
 * files read transparently. When the file is archived or restored while it is being read (its chunks
 * move between PostgreSQL and the store), reading continues from the new place at the next chunk.
 * An archive is checked against its recorded SHA-256 once read to the end. `fromIndex` starts at that
 * chunk and `toIndex` stops after that one (a page of rows needs only the chunks that hold it).
 */
export async function* readFileChunks(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  options: { fromIndex?: number; toIndex?: number } = {},
): AsyncGenerator<StoredChunk> {
  // Up to and including toIndex: a page of rows fetches only its chunks, not a whole PAGE of payloads.
  const total = Math.min(file.chunkCount ?? 0, (options.toIndex ?? Number.MAX_SAFE_INTEGER) + 1);
  // From PostgreSQL, reading starts at the chunk asked for; an archive is a stream, read from its start,
  // whose frames before it are skipped undecompressed.
  let next = options.fromIndex ?? 0;
  let current = file;
  // Each move between the two places is one retry; two of them in one read means something is wrong.
  for (let moves = 0; next < total; moves++) {
    const from = next;
    if (current.archive) {
      try {
        for await (const chunk of readArchive(store, current)) {
          if (chunk.chunkIndex < next) continue;
          if (chunk.chunkIndex >= total) return;
          yield chunk;
          next = chunk.chunkIndex + 1;
        }
      } catch (err) {
        if (!(isIngestError(err) && err.code === 'SOURCE_NOT_FOUND') || moves >= 2) throw err;
      }
    } else {
      while (next < total) {
        const page = await withTenant(pool, file.organizationId, (db) =>
          readChunks(db, file.organizationId, file.id, next, Math.min(PAGE, total - next)),
        );
        if (page.length === 0) break;
        for (const chunk of page) {
          yield chunk;
          next = chunk.chunkIndex + 1;
        }
      }
    }
    if (next >= total) return;
    const latest = await withTenant(pool, file.organizationId, (db) => getFile(db, file.id));
    const moved = latest && Boolean(latest.archive) !== Boolean(current.archive);
    if (latest?.status !== 'ready' || (!moved && next === from) || moves >= 2) {
      throw new IngestError('CHECKSUM_MISMATCH', `file ${file.id} is missing chunk ${next}`, {
        fileId: file.id,
      });
    }
    current = latest;
  }
}

/** The chunks of an archive object, its SHA-256 and size checked against the file row at the end. */
export async function* readArchive(store: ObjectStore, file: FileRecord): AsyncGenerator<StoredChunk> {
  const archive = file.archive!;
  const meter = createHashMeter();
  const body = await store.get(archive.key);
  body.once('error', (err) => meter.transform.destroy(err));
  body.pipe(meter.transform);
  try {
    yield* decodeArchive(meter.transform, archive.key);
  } catch (err) {
    throw isIngestError(err)
      ? err
      : new IngestError(
          'STORAGE_ERROR',
          `could not read archive ${archive.key}: ${(err as Error).message}`,
          {},
          {
            cause: err,
          },
        );
  } finally {
    body.destroy();
    meter.transform.destroy();
  }
  const digest = meter.sha256();
  const bytes = meter.bytes();
  if (digest !== archive.sha256 || bytes !== archive.bytes) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `archive ${archive.key} hashes to ${digest} (${bytes} bytes), expected ${archive.sha256} (${archive.bytes} bytes)`,
      { fileId: file.id },
    );
  }
}

const hasher = xxhash();

/**
 * A chunk's raw bytes, after checking them against the chunk's xxh64 and raw length: damaged data fails
 * with CHECKSUM_MISMATCH instead of being exported or restored.
 */
export async function verifiedChunkBytes(chunk: StoredChunk, fileId: string): Promise<Buffer> {
  const { h64Raw } = await hasher;
  let raw: Buffer;
  try {
    raw = gunzipSync(chunk.payload);
  } catch (err) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `chunk ${chunk.chunkIndex} of file ${fileId} does not decompress: ${(err as Error).message}`,
      { fileId },
      { cause: err },
    );
  }
  if (BigInt.asIntN(64, h64Raw(raw)) !== chunk.xxh64 || raw.length !== chunk.rawBytes) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `chunk ${chunk.chunkIndex} of file ${fileId} does not match its checksum`,
      { fileId },
    );
  }
  return raw;
}
