import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { isRole, type Role } from '../domain/index.js';
import { coerceError, IngestError } from '../errors.js';
import { isUuid } from '../ids.js';

/** The role every tenant query runs under: no ownership, no BYPASSRLS. */
export const APP_ROLE = 'ingest_app';

/** A signed-in user acting in an organization with a role (migration 0030's ingest.user_id, ingest.role). */
export interface MemberContext {
  userId: string;
  role: Role;
}

/**
 * The member a piece of work acts for, carried to every tenant transaction it starts: the server runs a
 * user's request handler inside runAsMember, so each transaction that request makes (in the pipeline
 * too) sets ingest.user_id and ingest.role beside the organization, and row-level security holds it to
 * its role whatever the code on the way checked. Work outside it (API keys, the CLI, recovery) runs
 * service transactions, with both settings empty (see migration 0030).
 */
const memberContext = new AsyncLocalStorage<MemberContext>();

/** Runs `fn` (and everything it starts) as `member` (see memberContext). */
export function runAsMember<T>(member: MemberContext, fn: () => T): T {
  if (!isUuid(member.userId) || !isRole(member.role))
    throw new IngestError('INTERNAL', 'a member context needs a user id and a role');
  return memberContext.run(member, fn);
}

/** The member the current work acts for, if any. */
export function currentMember(): MemberContext | undefined {
  return memberContext.getStore();
}

/**
 * Makes the current transaction act for one organization under row-level security: switches to the
 * application role and sets ingest.organization_id (and the member settings, see memberContext), all for
 * this transaction only, in one round trip (setting the `role` parameter is what SET LOCAL ROLE does).
 */
export async function enterTenant(client: pg.ClientBase, organizationId: string): Promise<void> {
  const member = currentMember();
  await client.query(
    `SELECT set_config('role', $1, true), set_config('ingest.organization_id', $2, true),
            set_config('ingest.user_id', $3, true), set_config('ingest.role', $4, true)`,
    [APP_ROLE, organizationId, member?.userId ?? '', member?.role ?? ''],
  );
}

/** `id` as an SQL string literal, after checking it is a UUID (or '' when `allowEmpty`). */
export function uuidLiteral(id: string, allowEmpty = false): string {
  if (id === '' ? !allowEmpty : !isUuid(id))
    throw new IngestError('INTERNAL', `expected a UUID, got ${JSON.stringify(id.slice(0, 64))}`);
  return `'${id}'`;
}

/**
 * The statement entering the tenant context, for a multi-statement simple query (which cannot take
 * parameters: hence the UUID check on the id written into the text).
 */
function enterTenantSql(organizationId: string, options: TenantOptions): string {
  const asyncCommit = options.asyncCommit ? `, set_config('synchronous_commit', 'off', true)` : '';
  const member = currentMember();
  // Checked again here: the values are written into the statement's text.
  const userId = uuidLiteral(member?.userId ?? '', true);
  const role = member && isRole(member.role) ? `'${member.role}'` : "''";
  return `SELECT set_config('role', '${APP_ROLE}', true), set_config('ingest.organization_id', ${uuidLiteral(organizationId, true)}, true), set_config('ingest.user_id', ${userId}, true), set_config('ingest.role', ${role}, true)${asyncCommit}`;
}

export interface TenantOptions {
  /**
   * Commit without waiting for the WAL flush (synchronous_commit = off for this transaction): for
   * writes whose loss in a crash is harmless, such as request counting, so that the row locks they take
   * are released without waiting for the disk.
   */
  asyncCommit?: boolean;
}

/**
 * Runs `fn` in a transaction acting for `organizationId` (see enterTenant). Commits on success, rolls
 * back on error, and always returns the client to the pool (discarding it if the connection broke).
 */
export async function withTenant<T>(
  pool: pg.Pool,
  organizationId: string,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: TenantOptions = {},
): Promise<T> {
  return onPooledClient(pool, { organization: organizationId }, async (client) => {
    // BEGIN and the tenant context in one round trip: every request's database work starts here.
    await client.query(`BEGIN; ${enterTenantSql(organizationId, options)}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * Runs `fn` in a transaction on `client` (one the caller holds, e.g. with a file's advisory lock) acting
 * for the organization; commits on success, rolls back and rethrows a coded error otherwise.
 */
export async function inTenantTransaction<T>(
  client: pg.ClientBase,
  organizationId: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    // BEGIN and the tenant context in one round trip, as in withTenant.
    await client.query(`BEGIN; ${enterTenantSql(organizationId, {})}`);
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw coerceError(err, { organization: organizationId });
  }
}

/**
 * inTenantTransaction for a caller that classifies failures itself: rethrows `fn`'s error as thrown.
 * Ingest needs the raw error to tell a cancellation from the database error it surfaced as.
 */
export async function inTenantTransactionUncoerced<T>(
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
    throw err;
  }
}

/**
 * Runs `fn` in a transaction as the login role, with no tenant context (operator paths such as deleting
 * an organization). `context` goes into the coded error of a failure.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  context: Record<string, string>,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return onPooledClient(pool, context, async (client) => {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * Runs `fn` in a transaction as ingest_app with no organization set: every policy matches nothing, so
 * only definer functions granted to ingest_app (API key look-up) can see tenant rows.
 */
export async function withAppRole<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withTenant(pool, '', fn);
}

/**
 * Runs one statement for an organization in a single round trip: BEGIN, the tenant context, the
 * statement and COMMIT as one simple query. The statement takes no parameters (write its values with
 * uuidLiteral or as checked numbers). The rows it locks are released at its COMMIT without waiting for
 * the client, which matters for rows that every request updates. Returns the statement's rows.
 */
export async function tenantStatement<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  organizationId: string,
  statement: string,
  options: TenantOptions = {},
): Promise<R[]> {
  const sql = `BEGIN; ${enterTenantSql(organizationId, options)}; ${statement}; COMMIT`;
  return onPooledClient(pool, { organization: organizationId }, async (client) => {
    // A multi-statement query resolves to one result per statement: BEGIN, the tenant context (one
    // SELECT), the statement, COMMIT; so results[2] is the statement's.
    const results = (await client.query(sql)) as unknown as pg.QueryResult<R>[];
    return results[2]!.rows;
  });
}

/**
 * Runs a transaction's `work` on a client of the pool. On failure it rolls back and throws a coded
 * error; a client whose ROLLBACK fails too is discarded rather than returned to the pool.
 */
async function onPooledClient<T>(
  pool: pg.Pool,
  context: Record<string, string>,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken = rollbackErr;
    });
    throw coerceError(err, context);
  } finally {
    client.release(broken);
  }
}
