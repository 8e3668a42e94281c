import type { Queryable } from './pool.js';

/**
 * Operator queries (as the login role, across organizations): what `ingest doctor` checks and what the
 * README's monitoring section reads. All read-only.
 */

export interface SlowQuery {
  /** `pg_stat_statements`, or `ingest` when ingest's own timings stand in (migration 0051). */
  source: string;
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  rows: number;
}

/** The slowest statements by total time, from logs.slow_queries. */
export async function listSlowQueries(db: Queryable, limit = 20): Promise<SlowQuery[]> {
  const { rows } = await db.query<{
    source: string;
    query: string;
    calls: string;
    total_ms: number;
    mean_ms: number;
    max_ms: number;
    rows: string;
  }>('SELECT * FROM logs.slow_queries LIMIT $1', [limit]);
  return rows.map((r) => ({
    source: r.source,
    query: r.query,
    calls: Number(r.calls),
    totalMs: r.total_ms,
    meanMs: r.mean_ms,
    maxMs: r.max_ms,
    rows: Number(r.rows),
  }));
}

export interface PartitionSize {
  parent: string;
  partition: string;
  bounds: string;
  estimatedRows: number;
  totalBytes: number;
}

/** Every partition of the partitioned tables with its size, from monitoring.partition_sizes. */
export async function listPartitionSizes(db: Queryable): Promise<PartitionSize[]> {
  const { rows } = await db.query<{
    parent: string;
    partition: string;
    bounds: string;
    estimated_rows: string;
    total_bytes: string;
  }>(
    'SELECT parent, partition, bounds, estimated_rows, total_bytes FROM monitoring.partition_sizes ORDER BY 1, 2',
  );
  return rows.map((r) => ({
    parent: r.parent,
    partition: r.partition,
    bounds: r.bounds,
    estimatedRows: Number(r.estimated_rows),
    totalBytes: Number(r.total_bytes),
  }));
}

/** The server's version: its text (`15.20 (Debian ...)`) and number (150020). */
export async function serverVersion(db: Queryable): Promise<{ text: string; num: number }> {
  const { rows } = await db.query<{ text: string; num: string }>(
    `SELECT current_setting('server_version') AS text, current_setting('server_version_num') AS num`,
  );
  return { text: rows[0]!.text, num: Number(rows[0]!.num) };
}

/**
 * Months of logs.activity_log partitions after the current month (0 when the next month has none: the
 * first insert then fails), and the latest month covered. Null when the table does not exist yet.
 */
export async function activityPartitionsAhead(
  db: Queryable,
): Promise<{ monthsAhead: number; lastMonth: string | null } | null> {
  const { rows } = await db.query<{ exists: boolean; months_ahead: number; last_month: string | null }>(
    `SELECT to_regclass('logs.activity_log') IS NOT NULL AS exists,
            count(*) FILTER (WHERE m.month > date_trunc('month', now()))::int AS months_ahead,
            to_char(max(m.month), 'YYYY-MM') AS last_month
       FROM (SELECT to_date(substring(c.relname FROM 'activity_log_(\\d{4}_\\d{2})$'), 'YYYY_MM') AS month
               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
              WHERE i.inhparent = to_regclass('logs.activity_log')) m`,
  );
  const row = rows[0]!;
  return row.exists ? { monthsAhead: row.months_ahead, lastMonth: row.last_month } : null;
}

/** When analytics.organization_metrics was last refreshed (null: never, or no organization yet). */
export async function organizationMetricsRefreshedAt(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(
    'SELECT max(refreshed_at) AS at FROM analytics.organization_metrics',
  );
  return rows[0]?.at ?? null;
}

/**
 * Jobs waiting in the job queue and the oldest one's age, per queue, when a queue's schema exists
 * (pg-boss, whose queues are job names, or graphile-worker); null when there is none. Read from the
 * queue's own tables, through to_regclass so this statement compiles whichever exists.
 */
export async function queueBacklog(
  db: Queryable,
): Promise<{ queue: string; depth: number; oldestAgeSeconds: number }[] | null> {
  const { rows } = await db.query<{
    graphile: string | null;
    graphile_private: string | null;
    pgboss: string | null;
  }>(
    `SELECT to_regclass('graphile_worker.jobs')::text AS graphile,
            to_regclass('graphile_worker._private_jobs')::text AS graphile_private,
            to_regclass('pgboss.job')::text AS pgboss`,
  );
  const found = rows[0];
  let sql: string | undefined;
  if (found?.pgboss) {
    sql = `SELECT name AS queue, count(*)::int AS depth,
                  coalesce(extract(epoch FROM now() - min(created_on)), 0)::float8 AS age
             FROM pgboss.job WHERE state IN ('created', 'retry') AND start_after <= now()
            GROUP BY name ORDER BY name`;
  } else if (found?.graphile_private || found?.graphile) {
    const table = found.graphile_private ? 'graphile_worker._private_jobs' : 'graphile_worker.jobs';
    sql = `SELECT 'graphile_worker' AS queue, count(*)::int AS depth,
                  coalesce(extract(epoch FROM now() - min(run_at)), 0)::float8 AS age
             FROM ${table} WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts
           HAVING count(*) > 0`;
  }
  if (!sql) return null;
  const { rows: backlog } = await db.query<{ queue: string; depth: number; age: number }>(sql);
  return backlog.map((r) => ({ queue: r.queue, depth: r.depth, oldestAgeSeconds: r.age }));
}
