import pg from 'pg';
import { logger } from '../logger.js';
import { StatementTimings, timeStatements } from './statement-timings.js';

/** The subset of pg.Pool / pg.PoolClient that query modules need. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/**
 * A pool on the configured database. Bigint columns come back as strings from pg; query modules
 * convert them where they are read.
 */
export function createPool(
  connectionString: string,
  options: {
    max?: number;
    /** Record statements slower than this (ms) for logs.slow_queries (INGEST_SLOW_STATEMENT); 0 or unset: off. */
    slowStatementMs?: number;
  } = {},
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 20,
    application_name: 'ingest',
    // A dead server must not hang a command forever.
    connectionTimeoutMillis: 15_000,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener the process dies.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  // A checked-out client whose connection drops emits 'error' too, besides failing its query: the query's
  // caller handles the failure, and this listener keeps the event from crashing the process.
  const timings = options.slowStatementMs ? new StatementTimings(pool, options.slowStatementMs) : undefined;
  if (timings) poolTimings.set(pool, timings);
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err }, 'database connection failed'));
    if (timings) timeStatements(client, timings);
  });
  return pool;
}

const poolTimings = new WeakMap<pg.Pool, StatementTimings>();

/** Writes the slow statements `pool` recorded and has not written yet (see StatementTimings). */
export async function flushStatementTimings(pool: pg.Pool): Promise<void> {
  await poolTimings.get(pool)?.flush();
}
