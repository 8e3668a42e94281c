import type pg from 'pg';
import { tryLockFile, unlockFile } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';

/**
 * Removes files left `processing` by a process that died (kill -9, power loss, lost connection). Their
 * transaction was rolled back by PostgreSQL, so only the row (and perhaps the original object) remains.
 * A row is abandoned exactly when its advisory lock can be taken: a live ingest holds it until it ends.
 * Runs as the login role: recovery spans organizations.
 */
export async function recoverAbandonedFiles(pool: pg.Pool, store: ObjectStore, log: Logger): Promise<number> {
  const { rows } = await pool.query<{
    organization_id: string;
    id: string;
    sha256: string;
    object_key: string;
  }>(`SELECT organization_id, id, sha256, object_key FROM storage_meta.files WHERE status = 'processing'`);
  let recovered = 0;
  for (const row of rows) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      if (!(await tryLockFile(client, row.organization_id, row.sha256))) continue;
      try {
        const deleted = await client.query(
          `DELETE FROM storage_meta.files WHERE organization_id = $1 AND id = $2 AND status = 'processing'`,
          [row.organization_id, row.id],
        );
        if (deleted.rowCount) {
          await store.delete(row.object_key);
          recovered++;
          log.warn(
            { organizationId: row.organization_id, fileId: row.id },
            'removed a file abandoned by a dead ingest',
          );
        }
      } finally {
        await unlockFile(client, row.organization_id, row.sha256);
      }
    } catch (err) {
      broken = err as Error;
      log.error({ err, fileId: row.id }, 'could not recover an abandoned file');
    } finally {
      client.release(broken);
    }
  }
  return recovered;
}
