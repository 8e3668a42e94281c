import { ChunkWriter, clearArchive, inTenantTransaction, logActivity, withFileLock } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { ArchiveServices } from './archive-file.js';
import { getReadyFile } from './export-file.js';
import { fileActivity } from './file-activity.js';
import { readArchive, verifiedChunkBytes } from './file-chunks.js';
import type { Actor } from './types.js';

export interface RestoreResult {
  fileId: string;
  /** False when the file was not archived (nothing to do). */
  restored: boolean;
  chunks: number;
}

/**
 * Brings an archived file's chunks back into PostgreSQL. One transaction loads every chunk from the
 * archive object (each checked against its xxh64, the object against its SHA-256 and size, the count
 * against the file row) and clears the archive marker; only after it commits is the archive object
 * deleted. A failure leaves the file archived, as it was. Waits for the file's advisory lock.
 */
export async function restoreFile(
  services: ArchiveServices,
  organization: { id: string },
  fileId: string,
  actor: Actor,
): Promise<RestoreResult> {
  const { pool, store } = services;
  const log = services.log.child({ organizationId: organization.id, fileId, stage: 'restore' });
  const found = await getReadyFile(pool, organization.id, fileId);
  return withFileLock(pool, organization.id, found.sha256, async (client) => {
    // Again under the lock: another process may have restored or deleted it meanwhile.
    const file = await getReadyFile(pool, organization.id, fileId);
    const archive = file.archive;
    if (!archive) return { fileId, restored: false, chunks: file.chunkCount ?? 0 };
    const chunks = await inTenantTransaction(client, organization.id, async () => {
      const writer = await ChunkWriter.open(client, { organizationId: organization.id, fileId });
      try {
        for await (const chunk of readArchive(store, file)) {
          await verifiedChunkBytes(chunk, fileId);
          await writer.write({ ...chunk, compressedBytes: chunk.payload.length });
        }
      } catch (err) {
        await writer.abort(err as Error);
        throw err;
      }
      const n = await writer.finish();
      if (n !== file.chunkCount) {
        throw new IngestError(
          'CHECKSUM_MISMATCH',
          `archive ${archive.key} holds ${n} chunks, file ${fileId} has ${file.chunkCount}`,
          { fileId },
        );
      }
      await clearArchive(client, organization.id, fileId);
      await logActivity(client, fileActivity(organization.id, actor, 'file.restore', fileId, { chunks: n }));
      return n;
    });
    // After the commit: a failure here leaves an unreferenced object (removed with the organization).
    await store.delete(archive.key).catch((err) => log.warn({ err }, 'could not delete a restored archive'));
    log.info({ chunks }, 'file restored');
    return { fileId, restored: true, chunks };
  });
}
