import type pg from 'pg';
import {
  deleteFileRow,
  getFile,
  inTenantTransaction,
  logActivity,
  withFileLock,
  withTenant,
} from '../db/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { ObjectStore } from '../storage/index.js';
import { fileActivity } from './file-activity.js';
import type { Actor } from './types.js';

/**
 * Deletes a file of an organization: its row, and with it (ON DELETE CASCADE) its chunks, metrics and
 * rejected rows, in one transaction with the activity-log entry; then its stored original and, for an
 * archived file, its archive object. A file of another organization is FILE_NOT_FOUND, as if it did
 * not exist.
 *
 * Originals are keyed by (organization, sha256) and only one file row exists per pair, so the object
 * belongs to this row alone. The file's advisory lock is held throughout: an ingest of the same bytes
 * waits, and then stores the object again instead of finding one about to be deleted.
 */
export async function deleteFile(
  pool: pg.Pool,
  store: ObjectStore,
  organizationId: string,
  fileId: string,
  actor: Actor,
): Promise<{ fileId: string; objectKey: string }> {
  const notFound = () => new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId });
  const found = isUuid(fileId) ? await withTenant(pool, organizationId, (db) => getFile(db, fileId)) : null;
  if (!found || found.status === 'processing') throw notFound();
  return withFileLock(pool, organizationId, found.sha256, async (client) => {
    const file = await inTenantTransaction(client, organizationId, async () => {
      const current = await getFile(client, fileId);
      if (!current || current.status === 'processing') return null;
      await deleteFileRow(client, organizationId, fileId);
      await logActivity(
        client,
        fileActivity(organizationId, actor, 'file.delete', fileId, {
          filename: current.filename,
          bytes: current.sizeBytes,
        }),
      );
      return current;
    });
    if (!file) throw notFound();
    // After the commit: a crash here leaves an unreferenced object (harmless), never a row without its object.
    await store.delete(file.objectKey);
    if (file.archive) await store.delete(file.archive.key);
    return { fileId, objectKey: file.objectKey };
  });
}
