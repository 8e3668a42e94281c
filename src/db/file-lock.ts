import type { Queryable } from './pool.js';

/**
 * Session advisory locks keyed by (organization, sha256). The ingest that holds one owns the file row;
 * the lock dies with its connection, so a row left in `processing` whose lock can be taken belongs to a
 * dead process: no timestamps or leases to guess with. Two keys hashing alike only serialize two ingests.
 */
const KEY_SQL = `hashtextextended($1 || ':' || $2, 0)`;

export async function tryLockFile(db: Queryable, organizationId: string, sha256: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${KEY_SQL}) AS locked`, [
    organizationId,
    sha256,
  ]);
  return rows[0]!.locked;
}

export async function unlockFile(db: Queryable, organizationId: string, sha256: string): Promise<void> {
  await db.query(`SELECT pg_advisory_unlock(${KEY_SQL})`, [organizationId, sha256]);
}

/** Waits for the file's lock (an ingest of the same bytes finishes first). Pair with unlockFile. */
export async function lockFile(db: Queryable, organizationId: string, sha256: string): Promise<void> {
  await db.query(`SELECT pg_advisory_lock(${KEY_SQL})`, [organizationId, sha256]);
}
