import { Readable } from 'node:stream';
import type pg from 'pg';
import {
  type FileRecord,
  getFile,
  inTenantTransaction,
  listArchivableFiles,
  logActivity,
  replaceChunksWithArchive,
  tryWithFileLock,
  withTenant,
} from '../db/index.js';
import { IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { archiveObjectKey, type ObjectInfo, type ObjectStore } from '../storage/index.js';
import { ARCHIVE_MAGIC, encodeEndFrame, encodeFrameHeader } from './archive-format.js';
import { fileActivity } from './file-activity.js';
import { readArchive, readFileChunks } from './file-chunks.js';
import type { Actor } from './types.js';

export interface ArchiveServices {
  pool: pg.Pool;
  store: ObjectStore;
  log: Logger;
}

export interface ArchivedFile {
  fileId: string;
  chunks: number;
  /** Size of the archive object. */
  bytes: number;
  key: string;
}

export interface ArchiveResult {
  archived: ArchivedFile[];
  /** Files left as they were: another process held them (an ingest, delete, archive or restore). */
  skipped: { fileId: string; reason: string }[];
}

/**
 * Archives every ready file of the organization that finished more than `olderThanMs` ago: see
 * archiveFile. Files busy in another process are skipped and reported; a failure stops the run with
 * the files archived so far kept archived.
 */
export async function archiveFiles(
  services: ArchiveServices,
  organization: { id: string; slug: string },
  olderThanMs: number,
  actor: Actor,
): Promise<ArchiveResult> {
  const before = new Date(Date.now() - olderThanMs);
  const candidates = await withTenant(services.pool, organization.id, (db) =>
    listArchivableFiles(db, organization.id, before, 1_000_000),
  );
  const result: ArchiveResult = { archived: [], skipped: [] };
  for (const candidate of candidates) {
    const outcome = await archiveFile(services, organization, candidate, actor);
    if ('reason' in outcome) result.skipped.push(outcome);
    else result.archived.push(outcome);
  }
  return result;
}

/**
 * Moves one ready file's chunk payloads out of PostgreSQL into one object of the store. Nothing is lost
 * at any point: the object is written and read back (SHA-256, size and frame count must match what was
 * sent) before one transaction deletes the chunk rows and records the archive on the file row. If that
 * transaction fails, the object is removed and the chunks stay. Holds the file's advisory lock, so an
 * ingest of the same bytes, a delete or a restore of the file waits or is skipped meanwhile.
 */
export async function archiveFile(
  services: ArchiveServices,
  organization: { id: string; slug: string },
  target: { id: string; sha256: string },
  actor: Actor,
): Promise<ArchivedFile | { fileId: string; reason: string }> {
  const { pool, store } = services;
  const log = services.log.child({ organizationId: organization.id, fileId: target.id, stage: 'archive' });
  const held = await tryWithFileLock(pool, organization.id, target.sha256, async (client) => {
    const file = await withTenant(pool, organization.id, (db) => getFile(db, target.id));
    if (file?.status !== 'ready' || file.archive)
      return { fileId: target.id, reason: 'no longer a ready, unarchived file' };
    const key = archiveObjectKey(organization.id, file.id);
    const written = await store.put(
      key,
      Readable.from(archiveBytes(pool, store, file), { objectMode: false }),
    );
    let committed = false;
    try {
      const sha256 = await verifyArchive(store, file, key, written);
      const deleted = await inTenantTransaction(client, organization.id, async () => {
        const n = await replaceChunksWithArchive(client, organization.id, file.id, {
          key,
          sha256,
          bytes: written.size,
        });
        if (n !== null && n !== file.chunkCount) {
          throw new IngestError(
            'INTERNAL',
            `file ${file.id} had ${n} chunk rows, its row says ${file.chunkCount}; not archived`,
            { fileId: file.id },
          );
        }
        if (n !== null) {
          await logActivity(
            client,
            fileActivity(organization.id, actor, 'file.archive', file.id, {
              chunks: n,
              archiveBytes: written.size,
            }),
          );
        }
        return n;
      });
      if (deleted === null) return { fileId: file.id, reason: 'no longer a ready, unarchived file' };
      committed = true;
      log.info({ chunks: deleted, bytes: written.size }, 'file archived');
      return { fileId: file.id, chunks: deleted, bytes: written.size, key };
    } finally {
      if (!committed) {
        await store
          .delete(key)
          .catch((err) => log.warn({ err }, 'could not remove an unused archive object'));
      }
    }
  });
  return held.busy ? { fileId: target.id, reason: 'busy in another process' } : held.value;
}

/** The archive object's bytes (see archive-format.ts), built from the chunk rows a page at a time. */
async function* archiveBytes(pool: pg.Pool, store: ObjectStore, file: FileRecord): AsyncGenerator<Buffer> {
  yield ARCHIVE_MAGIC;
  let frames = 0;
  for await (const chunk of readFileChunks(pool, store, file)) {
    yield encodeFrameHeader(chunk);
    yield chunk.payload;
    frames++;
  }
  if (frames !== (file.chunkCount ?? 0)) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `file ${file.id} has ${frames} of its ${file.chunkCount} chunks`,
      {
        fileId: file.id,
      },
    );
  }
  yield encodeEndFrame(frames);
}

/**
 * Reads the written archive back from the store: it must hash to what was sent, decode, and hold the
 * file's chunk count in order. Returns its SHA-256.
 */
async function verifyArchive(
  store: ObjectStore,
  file: FileRecord,
  key: string,
  written: ObjectInfo,
): Promise<string> {
  if (!written.sha256) throw new IngestError('INTERNAL', `${store.description} did not report a checksum`);
  const stored: FileRecord = {
    ...file,
    archive: { archivedAt: new Date(), key, sha256: written.sha256, bytes: written.size },
  };
  let frames = 0;
  for await (const chunk of readArchive(store, stored)) {
    if (chunk.chunkIndex !== frames) break;
    frames++;
  }
  if (frames !== (file.chunkCount ?? 0)) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `archive ${key} read back with ${frames} of ${file.chunkCount} chunks`,
      { fileId: file.id },
    );
  }
  return written.sha256;
}
