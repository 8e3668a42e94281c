import type pg from 'pg';
import { deleteAbandonedFile, listProcessingFiles, tryLockFile, unlockFile } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';

/**
 * Removes files left `processing` by a process that died (kill -9, power loss, lost connection). Their
 * transaction was rolled back by PostgreSQL, so only the row (and perhaps the original object) remains.
 * A row is abandoned exactly when its advisory lock can be taken: a live ingest holds it until it ends.
 * Runs as the login role: recovery spans organizations.
 */
export async function recoverAbandonedFiles(pool: pg.Pool, store: ObjectStore, log: Logger): Promise<number> {
  let recovered = 0;
  for (const file of await listProcessingFiles(pool)) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      if (!(await tryLockFile(client, file.organizationId, file.sha256))) continue;
      try {
        if (await deleteAbandonedFile(client, file.organizationId, file.id)) {
          await store.delete(file.objectKey);
          recovered++;
          log.warn(
            { organizationId: file.organizationId, fileId: file.id },
            'removed a file abandoned by a dead ingest',
          );
        }
      } finally {
        await unlockFile(client, file.organizationId, file.sha256);
      }
    } catch (err) {
      broken = err as Error;
      log.error({ err, fileId: file.id }, 'could not recover an abandoned file');
    } finally {
      client.release(broken);
    }
  }
  return recovered;
}
