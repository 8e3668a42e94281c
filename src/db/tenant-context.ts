import type pg from 'pg';
import { coerceError } from '../errors.js';

/** The role every tenant query runs under: no ownership, no BYPASSRLS. */
export const APP_ROLE = 'ingest_app';

/**
 * Makes the current transaction act for one organization under row-level security: switches to the
 * application role and sets ingest.organization_id, both for this transaction only.
 */
export async function enterTenant(client: pg.ClientBase, organizationId: string): Promise<void> {
  await client.query(`SET LOCAL ROLE ${APP_ROLE}`);
  await client.query(`SELECT set_config('ingest.organization_id', $1, true)`, [organizationId]);
}

/**
 * Runs `fn` in a transaction acting for `organizationId` (see enterTenant). Commits on success, rolls
 * back on error, and always returns the client to the pool (discarding it if the connection broke).
 */
export async function withTenant<T>(
  pool: pg.Pool,
  organizationId: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await enterTenant(client, organizationId);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw coerceError(err, { organization: organizationId });
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `fn` in a transaction as ingest_app with no organization set: every policy matches nothing, so
 * only definer functions granted to ingest_app (API key look-up) can see tenant rows.
 */
export async function withAppRole<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withTenant(pool, '', fn);
}
