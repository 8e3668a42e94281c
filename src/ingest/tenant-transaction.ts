import type pg from 'pg';
import { enterTenant } from '../db/index.js';
import { coerceError } from '../errors.js';

/**
 * Runs `fn` in a transaction on `client` (one the caller holds, e.g. with a file's advisory lock) acting
 * for the organization; commits on success, rolls back and rethrows a coded error otherwise.
 */
export async function inTenantTransaction<T>(
  client: pg.ClientBase,
  organizationId: string,
  fn: () => Promise<T>,
): Promise<T> {
  await client.query('BEGIN');
  try {
    await enterTenant(client, organizationId);
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw coerceError(err, { organization: organizationId });
  }
}
