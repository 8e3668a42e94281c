-- What a SaaS dashboard shows an organization: its totals, the storage breakdown, the audit funnel. Each
-- is a function running with the caller's rights: as ingest_app acting for an organization, row-level
-- security keeps it to that organization's rows whatever org_id it is given; as the login role (psql,
-- the materialized view's refresh) it reads the organization named.

-- An organization's totals, live. analytics.organization_metrics (below) keeps them per organization as of
-- its last refresh; GET /v1/dashboard calls this for the current numbers.
--   last_activity_at: the latest file created or finished, audit created or changed, or file attached.
CREATE FUNCTION analytics.organization_totals(org_id uuid)
RETURNS TABLE (
  ready_files bigint, failed_files bigint, processing_files bigint, archived_files bigint,
  original_bytes bigint, stored_bytes bigint, archived_bytes bigint, rows bigint,
  audits bigint, audits_draft bigint, audits_collecting bigint, audits_processing bigint, audits_ready bigint,
  audits_reviewed bigint, audits_failed bigint, audits_archived bigint,
  last_activity_at timestamptz)
LANGUAGE sql STABLE
AS $$
  SELECT f.ready_files, f.failed_files, f.processing_files, f.archived_files,
    f.original_bytes, f.stored_bytes, f.archived_bytes, f.rows,
    a.audits, a.draft, a.collecting, a.processing, a.ready, a.reviewed, a.failed, a.archived,
    greatest(f.last_at, a.last_at, (SELECT max(attached_at) FROM audit.audit_files WHERE organization_id = org_id))
  FROM (
    SELECT count(*) FILTER (WHERE status = 'ready') AS ready_files,
      count(*) FILTER (WHERE status = 'failed') AS failed_files,
      count(*) FILTER (WHERE status = 'processing') AS processing_files,
      count(*) FILTER (WHERE status = 'ready' AND archived_at IS NOT NULL) AS archived_files,
      coalesce(sum(size_bytes) FILTER (WHERE status = 'ready'), 0)::bigint AS original_bytes,
      coalesce(sum(stored_bytes) FILTER (WHERE status = 'ready'), 0)::bigint AS stored_bytes,
      coalesce(sum(archive_bytes) FILTER (WHERE status = 'ready'), 0)::bigint AS archived_bytes,
      coalesce(sum(row_count) FILTER (WHERE status = 'ready'), 0)::bigint AS rows,
      greatest(max(created_at), max(finished_at)) AS last_at
    FROM storage_meta.files WHERE organization_id = org_id) f,
  (
    SELECT count(*) AS audits,
      count(*) FILTER (WHERE status = 'draft') AS draft,
      count(*) FILTER (WHERE status = 'collecting') AS collecting,
      count(*) FILTER (WHERE status = 'processing') AS processing,
      count(*) FILTER (WHERE status = 'ready') AS ready,
      count(*) FILTER (WHERE status = 'reviewed') AS reviewed,
      count(*) FILTER (WHERE status = 'failed') AS failed,
      count(*) FILTER (WHERE status = 'archived') AS archived,
      max(updated_at) AS last_at
    FROM audit.audits WHERE organization_id = org_id) a
$$;

-- The materialized view gains the same columns (its first six keep their names and meaning). A view on
-- it depends on it, so both are created again.
DROP VIEW analytics.current_organization_metrics;
DROP MATERIALIZED VIEW analytics.organization_metrics;
CREATE MATERIALIZED VIEW analytics.organization_metrics AS
SELECT o.id AS organization_id, t.*, now() AS refreshed_at
FROM tenant.organizations o CROSS JOIN LATERAL analytics.organization_totals(o.id) t;
CREATE UNIQUE INDEX organization_metrics_org_idx ON analytics.organization_metrics (organization_id);
REVOKE ALL ON analytics.organization_metrics FROM ingest_app;
CREATE VIEW analytics.current_organization_metrics WITH (security_barrier) AS
  SELECT * FROM analytics.organization_metrics WHERE tenant.is_current_organization(organization_id);
GRANT SELECT ON analytics.current_organization_metrics TO ingest_app;

-- Where an organization's bytes are, beside what its quota counts. tenant.calculate_storage_usage (0012)
-- keeps returning the one number the quota checks use; this is the breakdown.
--   original_bytes  originals in the object store (ready and processing files)
--   stored_bytes    chunk payloads in PostgreSQL (ready files not archived)
--   archived_bytes  archive objects of archived files (their chunks are no longer in PostgreSQL)
--   charged_bytes   what the quota counts: tenant.calculate_storage_usage
--   quota_bytes     the quota, NULL for none
CREATE FUNCTION tenant.storage_usage_breakdown(org_id uuid)
RETURNS TABLE (original_bytes bigint, stored_bytes bigint, archived_bytes bigint, charged_bytes bigint, quota_bytes bigint)
LANGUAGE sql STABLE
AS $$
  SELECT
    coalesce(sum(f.size_bytes) FILTER (WHERE f.status IN ('ready', 'processing')), 0)::bigint,
    coalesce(sum(f.stored_bytes) FILTER (WHERE f.status = 'ready' AND f.archived_at IS NULL), 0)::bigint,
    coalesce(sum(f.archive_bytes) FILTER (WHERE f.status = 'ready'), 0)::bigint,
    tenant.calculate_storage_usage(org_id),
    (SELECT storage_quota_bytes FROM tenant.organizations WHERE id = org_id)
  FROM storage_meta.files f WHERE f.organization_id = org_id
$$;

-- The audit funnel: of the audits created from date_from to date_to (days, both included, in the
-- session's time zone), how many reached each status (at any time since: an audit's <status>_at is the
-- first time it did), the conversion from the stage before (ready / processing, ...), and the median
-- seconds from the stage before, over the audits that reached both. failed and archived are off the
-- funnel: their conversion and median are from creation (draft). One row per status, in funnel order,
-- also when no audit was created in the range.
CREATE FUNCTION analytics.get_audit_funnel(org_id uuid, date_from date, date_to date)
RETURNS TABLE (stage text, "position" integer, reached bigint, conversion numeric, median_seconds double precision)
LANGUAGE sql STABLE
AS $$
  WITH a AS (
    SELECT created_at AS draft_at, collecting_at, processing_at, ready_at, reviewed_at, failed_at, archived_at
    FROM audit.audits
    WHERE organization_id = org_id AND created_at >= date_from AND created_at < date_to + 1
  ),
  stages (stage, "position") AS (
    VALUES ('draft', 1), ('collecting', 2), ('processing', 3), ('ready', 4), ('reviewed', 5), ('failed', 6), ('archived', 7)
  ),
  times AS (
    SELECT s.stage, s."position",
      CASE s.stage WHEN 'draft' THEN a.draft_at WHEN 'collecting' THEN a.collecting_at
        WHEN 'processing' THEN a.processing_at WHEN 'ready' THEN a.ready_at WHEN 'reviewed' THEN a.reviewed_at
        WHEN 'failed' THEN a.failed_at ELSE a.archived_at END AS at,
      CASE s.stage WHEN 'draft' THEN NULL WHEN 'collecting' THEN a.draft_at WHEN 'processing' THEN a.collecting_at
        WHEN 'ready' THEN a.processing_at WHEN 'reviewed' THEN a.ready_at ELSE a.draft_at END AS before_at
    FROM stages s LEFT JOIN a ON true
  ),
  counted AS (
    SELECT stage, "position", count(at) AS reached,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM at - before_at)) AS median_seconds
    FROM times GROUP BY stage, "position"
  )
  SELECT stage, "position", reached,
    CASE
      WHEN "position" = 1 THEN NULL
      WHEN "position" <= 5 THEN round(reached / nullif(lag(reached) OVER w, 0)::numeric, 4)
      ELSE round(reached / nullif(first_value(reached) OVER w, 0)::numeric, 4)
    END,
    median_seconds
  FROM counted WINDOW w AS (ORDER BY "position") ORDER BY "position"
$$;

-- The dashboard's recent audits: the organization's audits last changed first.
CREATE INDEX audits_org_updated_idx ON audit.audits (organization_id, updated_at DESC);

GRANT EXECUTE ON FUNCTION analytics.organization_totals(uuid), tenant.storage_usage_breakdown(uuid),
  analytics.get_audit_funnel(uuid, date, date) TO ingest_app;
