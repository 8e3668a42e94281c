-- SQL a person can write: a file's column profile as one row per (file, column), and one call that makes
-- a psql session act for an organization the way the application does.

-- analytics.metrics stores one row per metric; this pivots a column's metrics into columns. A view runs
-- with its owner's rights unless security_invoker is set (PostgreSQL 15): with it, the row-level security
-- of analytics.metrics and storage_meta.files applies to whoever queries the view, so ingest_app acting
-- for an organization sees only that organization's profiles. A filter on file_id (a grouping column) is
-- pushed below the aggregate and served by metrics_file_idx.
CREATE VIEW analytics.file_profiles WITH (security_invoker = true) AS
SELECT
  m.organization_id,
  m.file_id,
  f.audit_id,
  f.filename,
  m.column_index,
  m.column_name,
  max(m.text_value) FILTER (WHERE m.metric_type = 'inferred_type') AS type,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'null_count')::bigint AS nulls,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'non_null_count')::bigint AS non_nulls,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'distinct_estimate')::bigint AS distinct_estimate,
  max(m.text_value) FILTER (WHERE m.metric_type = 'min') AS min,
  max(m.text_value) FILTER (WHERE m.metric_type = 'max') AS max,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'mean') AS mean,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'min_length')::integer AS min_length,
  max(m.numeric_value) FILTER (WHERE m.metric_type = 'max_length')::integer AS max_length
FROM analytics.metrics m
JOIN storage_meta.files f ON f.organization_id = m.organization_id AND f.id = m.file_id
WHERE m.column_name IS NOT NULL
GROUP BY m.organization_id, m.file_id, f.audit_id, f.filename, m.column_index, m.column_name;

GRANT SELECT ON analytics.file_profiles TO ingest_app;

-- Makes the current transaction act for the organization with this slug, exactly as the application's
-- own queries do (see db/tenant-context.ts): role ingest_app and ingest.organization_id, both until the
-- transaction ends. For people in psql:
--   BEGIN; SELECT tenant.act_as_organization('acme'); SELECT * FROM analytics.file_profiles; COMMIT;
-- SECURITY INVOKER on purpose: the slug is looked up with the caller's rights (before the role changes),
-- and only a role that may SET ROLE ingest_app (the login role that owns the tables) can switch to it,
-- which set_config checks. The settings end with the transaction: run it after BEGIN (or in the same
-- multi-statement query as the queries it is for, which PostgreSQL runs as one transaction).
CREATE FUNCTION tenant.act_as_organization(slug text) RETURNS uuid
LANGUAGE plpgsql SECURITY INVOKER
AS $$
DECLARE
  org uuid;
BEGIN
  SELECT o.id INTO org FROM tenant.organizations o WHERE o.slug = act_as_organization.slug;
  IF org IS NULL THEN
    RAISE EXCEPTION 'no organization with slug %', act_as_organization.slug USING ERRCODE = 'P0002';
  END IF;
  PERFORM set_config('ingest.organization_id', org::text, true);
  PERFORM set_config('role', 'ingest_app', true);
  RETURN org;
END
$$;
REVOKE ALL ON FUNCTION tenant.act_as_organization(text) FROM PUBLIC;
