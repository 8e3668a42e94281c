import type { Queryable } from './pool.js';

/** Sends a PostgreSQL notification on `channel` (delivered to every session that LISTENs on it at commit). */
export async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

/** A round trip that proves the database answers statements (readiness probes). */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}
