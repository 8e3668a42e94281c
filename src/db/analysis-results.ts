import type pg from 'pg';

/** A computed dashboard answer kept in cache.analysis_results (migration 0051). */
export interface AnalysisResult<T = unknown> {
  key: string;
  result: T;
  computedAt: Date;
  expiresAt: Date;
  /** Times it was served from the table, this time included. */
  hitCount: number;
}

interface Row {
  cache_key: string;
  result: unknown;
  computed_at: Date;
  expires_at: Date;
  hit_count: string;
}

function toResult<T>(row: Row): AnalysisResult<T> {
  return {
    key: row.cache_key,
    result: row.result as T,
    computedAt: row.computed_at,
    expiresAt: row.expires_at,
    hitCount: Number(row.hit_count),
  };
}

/**
 * The unexpired answer under `key` for the organization the transaction acts for (a tenant transaction:
 * RLS scopes it), counting the hit; null when absent or expired.
 */
export async function getAnalysisResult<T = unknown>(
  client: pg.ClientBase,
  key: string,
): Promise<AnalysisResult<T> | null> {
  const { rows } = await client.query<Row>(
    `UPDATE cache.analysis_results SET hit_count = hit_count + 1, last_hit_at = now()
      WHERE organization_id = tenant.current_organization_id() AND cache_key = $1 AND expires_at > now()
      RETURNING cache_key, result, computed_at, expires_at, hit_count`,
    [key],
  );
  return rows[0] ? toResult<T>(rows[0]) : null;
}

/** Keeps `result` (JSON) under `key` for `ttlSeconds`, replacing an older answer and its hit count. */
export async function putAnalysisResult<T>(
  client: pg.ClientBase,
  key: string,
  result: T,
  ttlSeconds: number,
): Promise<AnalysisResult<T>> {
  const { rows } = await client.query<Row>(
    `INSERT INTO cache.analysis_results AS r (organization_id, cache_key, result, computed_at, expires_at)
     VALUES (tenant.current_organization_id(), $1, $2::jsonb, now(), now() + make_interval(secs => $3))
     ON CONFLICT (organization_id, cache_key) DO UPDATE SET
       result = excluded.result, computed_at = excluded.computed_at, expires_at = excluded.expires_at,
       hit_count = 0, last_hit_at = NULL
     RETURNING cache_key, result, computed_at, expires_at, hit_count`,
    [key, JSON.stringify(result), ttlSeconds],
  );
  return toResult<T>(rows[0]!);
}

/**
 * Drops the organization's answers whose key starts with `prefix` (all of them without one): what a
 * change to the data they were computed from invalidates. Returns how many went.
 */
export async function deleteAnalysisResults(client: pg.ClientBase, prefix = ''): Promise<number> {
  const { rowCount } = await client.query(
    `DELETE FROM cache.analysis_results
      WHERE organization_id = tenant.current_organization_id() AND starts_with(cache_key, $1)`,
    [prefix],
  );
  return rowCount ?? 0;
}

/** Deletes expired answers of every organization (the operator's sweep, as the login role). */
export async function purgeExpiredAnalysisResults(db: pg.Pool | pg.ClientBase): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM cache.analysis_results WHERE expires_at <= now()');
  return rowCount ?? 0;
}
