import type pg from 'pg';
import { findFileSha256, tryLockFile, unlockFile } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';

const ORIGINAL_KEY = /^orgs\/([0-9a-f-]{36})\/sha256\/([0-9a-f]{64})$/;
const ARCHIVE_KEY = /^orgs\/([0-9a-f-]{36})\/archive\/([0-9a-f-]{36})$/;

/**
 * Aborts multipart uploads left unfinished by an ingest or archive that could not abort them itself
 * (the process died, or the store was unreachable when the upload failed). An upload is abandoned
 * exactly when the advisory lock of the file it was for can be taken: a live ingest or archive holds
 * it until its upload has ended. Runs at start-up beside recoverAbandonedFiles, as the login role.
 * Keys that are not ingest's are left alone. Returns how many uploads were aborted. A store that does not
 * implement listing unfinished uploads (plain s3rver, some S3-compatible stores) has nothing this can do:
 * that is said once at info level, not warned about at every start.
 */
export async function abortAbandonedUploads(pool: pg.Pool, store: ObjectStore, log: Logger): Promise<number> {
  if (!store.abortIncompleteUploads) return 0;
  const aborted = await store.abortIncompleteUploads('orgs/', async (key) => {
    const lock = await lockOf(pool, key);
    if (!lock) return false;
    const client = await pool.connect();
    try {
      if (!(await tryLockFile(client, lock.organizationId, lock.sha256))) return false;
      await unlockFile(client, lock.organizationId, lock.sha256);
      return true;
    } finally {
      client.release();
    }
  });
  if (aborted === null) {
    log.info(
      { store: store.description },
      'the object store does not implement ListMultipartUploads: abandoned multipart uploads are not looked for',
    );
    return 0;
  }
  if (aborted) log.warn({ aborted }, 'aborted multipart uploads abandoned by failed ingests');
  return aborted;
}

/** The (organization, sha256) lock that guards writes to `key`, or null for keys not ours. */
async function lockOf(
  pool: pg.Pool,
  key: string,
): Promise<{ organizationId: string; sha256: string } | null> {
  const original = ORIGINAL_KEY.exec(key);
  if (original) return { organizationId: original[1]!, sha256: original[2]! };
  const archive = ARCHIVE_KEY.exec(key);
  if (!archive) return null;
  const sha256 = await findFileSha256(pool, archive[1]!, archive[2]!);
  // No row: the file is gone and nobody writes its archive any more; any lock value stands free.
  return { organizationId: archive[1]!, sha256: sha256 ?? '0'.repeat(64) };
}
