import type { Queryable } from './pool.js';

/**
 * Ready, unarchived files of the current organization that finished before `finishedBefore`, oldest
 * first. Runs under a tenant context.
 */
export async function listArchivableFiles(
  db: Queryable,
  organizationId: string,
  finishedBefore: Date,
  limit: number,
): Promise<{ id: string; sha256: string }[]> {
  const { rows } = await db.query<{ id: string; sha256: string }>(
    `SELECT id, sha256 FROM storage_meta.files
     WHERE organization_id = $1 AND status = 'ready' AND archived_at IS NULL AND finished_at < $2
     ORDER BY finished_at, id LIMIT $3`,
    [organizationId, finishedBefore, limit],
  );
  return rows;
}

/**
 * Replaces a file's chunk rows by its verified archive object: deletes the chunks and records the
 * archive on the row, in the caller's transaction. Returns the number of chunk rows deleted, or null
 * when the file is no longer ready and unarchived (nothing changed).
 */
export async function replaceChunksWithArchive(
  db: Queryable,
  organizationId: string,
  fileId: string,
  archive: { key: string; sha256: string; bytes: number },
): Promise<number | null> {
  const locked = await db.query(
    `SELECT 1 FROM storage_meta.files
     WHERE organization_id = $1 AND id = $2 AND status = 'ready' AND archived_at IS NULL FOR UPDATE`,
    [organizationId, fileId],
  );
  if (!locked.rowCount) return null;
  const deleted = await db.query(
    'DELETE FROM storage_meta.file_chunks WHERE organization_id = $1 AND file_id = $2',
    [organizationId, fileId],
  );
  await db.query(
    `UPDATE storage_meta.files SET archived_at = now(), archive_key = $3, archive_sha256 = $4, archive_bytes = $5
     WHERE organization_id = $1 AND id = $2`,
    [organizationId, fileId, archive.key, archive.sha256, archive.bytes],
  );
  return deleted.rowCount ?? 0;
}

/** Clears a restored file's archive marker, in the transaction that brought its chunks back. */
export async function clearArchive(db: Queryable, organizationId: string, fileId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE storage_meta.files SET archived_at = NULL, archive_key = NULL, archive_sha256 = NULL, archive_bytes = NULL
     WHERE organization_id = $1 AND id = $2 AND archived_at IS NOT NULL`,
    [organizationId, fileId],
  );
  return (rowCount ?? 0) > 0;
}
