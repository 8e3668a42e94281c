import type pg from 'pg';
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
  // A SELECT without FROM returns exactly one row.
  return rows[0]!.locked;
}

export async function unlockFile(db: Queryable, organizationId: string, sha256: string): Promise<void> {
  await db.query(`SELECT pg_advisory_unlock(${KEY_SQL})`, [organizationId, sha256]);
}

/** Waits for the file's lock (an ingest of the same bytes finishes first). Pair with unlockFile. */
export async function lockFile(db: Queryable, organizationId: string, sha256: string): Promise<void> {
  await db.query(`SELECT pg_advisory_lock(${KEY_SQL})`, [organizationId, sha256]);
}

/**
 * Runs `fn` on a pooled client holding the file's advisory lock (waiting for it), then unlocks and
 * returns the client to the pool: discarded if unlocking failed or the database became unavailable.
 */
export async function withFileLock<T>(
  pool: pg.Pool,
  organizationId: string,
  sha256: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const held = await onLockedClient(pool, organizationId, sha256, true, fn);
  if (held.busy) throw new Error('a waiting lock cannot be busy');
  return held.value;
}

/** withFileLock without waiting: `busy` when another session holds the lock, and `fn` never runs. */
export function tryWithFileLock<T>(
  pool: pg.Pool,
  organizationId: string,
  sha256: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<{ busy: true } | { busy: false; value: T }> {
  return onLockedClient(pool, organizationId, sha256, false, fn);
}

async function onLockedClient<T>(
  pool: pg.Pool,
  organizationId: string,
  sha256: string,
  wait: boolean,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<{ busy: true } | { busy: false; value: T }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    if (wait) await lockFile(client, organizationId, sha256);
    else if (!(await tryLockFile(client, organizationId, sha256))) return { busy: true };
    try {
      return { busy: false, value: await fn(client) };
    } finally {
      await unlockFile(client, organizationId, sha256).catch((err) => {
        broken = err as Error;
      });
    }
  } catch (err) {
    broken ??= (err as { code?: string }).code === 'DATABASE_UNAVAILABLE' ? (err as Error) : undefined;
    throw err;
  } finally {
    client.release(broken);
  }
}
