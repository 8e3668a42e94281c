import type pg from 'pg';
import { deleteFileRow, getFile, logActivity, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';
import type { Actor } from './types.js';

/**
 * Deletes a file of an organization: its row, and with it (ON DELETE CASCADE) its chunks, metrics and
 * rejected rows, in one transaction with the activity-log entry; then its stored original. A file of
 * another organization is FILE_NOT_FOUND, as if it did not exist.
 */
export async function deleteFile(
  pool: pg.Pool,
  store: ObjectStore,
  organizationId: string,
  fileId: string,
  actor: Actor,
): Promise<{ fileId: string; objectKey: string }> {
  const file = await withTenant(pool, organizationId, async (db) => {
    const found = /^[0-9a-f-]{36}$/i.test(fileId) ? await getFile(db, fileId) : null;
    if (!found || found.status === 'processing') return null;
    await deleteFileRow(db, organizationId, fileId);
    await logActivity(db, {
      organizationId,
      actor: actor.name,
      apiKeyId: actor.apiKeyId ?? null,
      clientAddress: actor.clientAddress ?? null,
      action: 'file.delete',
      targetType: 'file',
      targetId: fileId,
      details: { filename: found.filename, bytes: found.sizeBytes },
    });
    return found;
  });
  if (!file) throw new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId });
  // After the commit: a crash here leaves an unreferenced object (harmless), never a row without its object.
  await store.delete(file.objectKey);
  return { fileId, objectKey: file.objectKey };
}
