-- Monitoring: the slowest statements (logs.slow_queries), partition sizes, and a persistent cache of
-- computed dashboard answers (cache.analysis_results). Operators read the first two as the login role;
-- ingest_app gets nothing of them.

CREATE SCHEMA IF NOT EXISTS monitoring;
CREATE SCHEMA IF NOT EXISTS cache;

-- pg_stat_statements collects only when the server preloads it (shared_preload_libraries; the embedded
-- server does). Creating the extension needs a superuser and the module on the server: when either is
-- missing, ingest's own timings (below) stand in.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements')
     AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') THEN
    CREATE EXTENSION pg_stat_statements SCHEMA monitoring;
  END IF;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
  RAISE NOTICE 'pg_stat_statements not installed (%): logs.slow_queries reads ingest''s own timings', SQLERRM;
END
$$;

-- Ingest's own timings: statements slower than INGEST_SLOW_STATEMENT, as each process measured them
-- (src/db/statement-timings.ts), aggregated per statement text with its literals masked. No tenant
-- data: parameters are never recorded.
CREATE TABLE monitoring.statement_timings (
  query_sha256 text PRIMARY KEY,
  query text NOT NULL,
  calls bigint NOT NULL,
  total_ms double precision NOT NULL,
  max_ms double precision NOT NULL,
  rows bigint NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now()
);

-- The slowest statements of this database by total time: from pg_stat_statements when it collects,
-- else from monitoring.statement_timings. `source` says which.
CREATE FUNCTION monitoring.slow_queries()
RETURNS TABLE (source text, query text, calls bigint, total_ms double precision, mean_ms double precision,
               max_ms double precision, rows bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  statements_schema text;
BEGIN
  SELECT n.nspname INTO statements_schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_stat_statements';
  IF statements_schema IS NOT NULL
     AND 'pg_stat_statements' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
    RETURN QUERY EXECUTE format(
      'SELECT %L::text, s.query, s.calls, s.total_exec_time, s.mean_exec_time, s.max_exec_time, s.rows
         FROM %I.pg_stat_statements s
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY s.total_exec_time DESC LIMIT 100',
      'pg_stat_statements', statements_schema);
  ELSE
    RETURN QUERY
      SELECT 'ingest'::text, t.query, t.calls, t.total_ms, t.total_ms / greatest(t.calls, 1), t.max_ms, t.rows
      FROM monitoring.statement_timings t
      ORDER BY t.total_ms DESC LIMIT 100;
  END IF;
END
$$;
REVOKE ALL ON FUNCTION monitoring.slow_queries() FROM PUBLIC;

CREATE VIEW logs.slow_queries AS SELECT * FROM monitoring.slow_queries();

-- Size of every partition of the partitioned tables (activity log by month, chunks by hash): what to
-- watch for retention and for an uneven hash spread.
CREATE VIEW monitoring.partition_sizes AS
SELECT format('%I.%I', pn.nspname, p.relname) AS parent,
       format('%I.%I', cn.nspname, c.relname) AS partition,
       pg_get_expr(c.relpartbound, c.oid) AS bounds,
       c.reltuples::bigint AS estimated_rows,
       pg_total_relation_size(c.oid) AS total_bytes,
       pg_size_pretty(pg_total_relation_size(c.oid)) AS total_size
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE p.relkind = 'p'
  AND pn.nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs', 'cache');

-- Computed dashboard answers (the audits' analyses), kept per organization until they expire, with how
-- often each was served. The application reads and writes them as ingest_app, under RLS.
CREATE TABLE cache.analysis_results (
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  cache_key text NOT NULL CHECK (length(cache_key) BETWEEN 1 AND 512),
  result jsonb NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  hit_count bigint NOT NULL DEFAULT 0,
  last_hit_at timestamptz,
  PRIMARY KEY (organization_id, cache_key)
);
CREATE INDEX analysis_results_expires_idx ON cache.analysis_results (expires_at);
ALTER TABLE cache.analysis_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON cache.analysis_results
  USING (tenant.is_current_organization(organization_id))
  WITH CHECK (tenant.is_current_organization(organization_id));

-- Grants in migration 0010's model:
-- table                  | operation | columns                                   | statements (src/db/analysis-results.ts)
-- -----------------------+-----------+-------------------------------------------+----------------------------------------
-- cache.analysis_results | SELECT    | all                                       | getAnalysisResult (UPDATE ... RETURNING),
--                        |           |                                           | putAnalysisResult (ON CONFLICT)
--                        | INSERT    | organization_id, cache_key, result,       | putAnalysisResult
--                        |           | computed_at, expires_at                   |
--                        | UPDATE    | result, computed_at, expires_at,          | putAnalysisResult (ON CONFLICT DO UPDATE),
--                        |           | hit_count, last_hit_at                    | getAnalysisResult (a hit)
--                        | DELETE    |                                           | deleteAnalysisResults (invalidation)
-- monitoring.*, logs.slow_queries | (none) | operator data: the login role reads it
GRANT USAGE ON SCHEMA cache TO ingest_app;
GRANT SELECT, DELETE ON cache.analysis_results TO ingest_app;
GRANT INSERT (organization_id, cache_key, result, computed_at, expires_at) ON cache.analysis_results TO ingest_app;
GRANT UPDATE (result, computed_at, expires_at, hit_count, last_hit_at) ON cache.analysis_results TO ingest_app;
