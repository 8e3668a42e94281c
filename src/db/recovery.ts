import type { Queryable } from './pool.js';

/**
 * Queries of start-up recovery: they span organizations, so they run as the login role with no tenant
 * context. Whether a row is really abandoned is decided by its advisory lock (file-lock.ts), not here.
 */

/** A file row left `processing`: its ingest is live or died before finishing. */
export interface ProcessingFile {
  organizationId: string;
  id: string;
  sha256: string;
  objectKey: string;
}

/** Every file row in `processing`, across organizations. */
export async function listProcessingFiles(db: Queryable): Promise<ProcessingFile[]> {
  const { rows } = await db.query<{
    organization_id: string;
    id: string;
    sha256: string;
    object_key: string;
  }>(`SELECT organization_id, id, sha256, object_key FROM storage_meta.files WHERE status = 'processing'`);
  return rows.map((r) => ({
    organizationId: r.organization_id,
    id: r.id,
    sha256: r.sha256,
    objectKey: r.object_key,
  }));
}

/**
 * Deletes a file row that is still `processing`; false when it is gone or moved on meanwhile. The caller
 * holds the file's advisory lock, so no live ingest owns the row.
 */
export async function deleteAbandonedFile(
  db: Queryable,
  organizationId: string,
  fileId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `DELETE FROM storage_meta.files WHERE organization_id = $1 AND id = $2 AND status = 'processing'`,
    [organizationId, fileId],
  );
  return (rowCount ?? 0) > 0;
}

/** The SHA-256 of a file of any organization (its advisory lock's key), or null when there is no such row. */
export async function findFileSha256(
  db: Queryable,
  organizationId: string,
  fileId: string,
): Promise<string | null> {
  const { rows } = await db.query<{ sha256: string }>(
    'SELECT sha256 FROM storage_meta.files WHERE organization_id = $1 AND id = $2',
    [organizationId, fileId],
  );
  return rows[0]?.sha256 ?? null;
}
