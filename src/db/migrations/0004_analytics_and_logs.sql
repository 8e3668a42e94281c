-- Denormalized metrics (dashboards read one indexed table) and the activity log.

CREATE TABLE analytics.metrics (
  organization_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  audit_id uuid,
  file_id uuid NOT NULL,
  column_name text,
  column_index integer,
  metric_type text NOT NULL,
  numeric_value double precision,
  text_value text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, id),
  FOREIGN KEY (organization_id, file_id) REFERENCES storage_meta.files (organization_id, id) ON DELETE CASCADE
);
CREATE INDEX metrics_audit_type_idx ON analytics.metrics (audit_id, metric_type);
CREATE INDEX metrics_file_idx ON analytics.metrics (file_id);

-- Who did what to which file, through which API key. Monthly partitions are created ahead by
-- logs.ensure_activity_partitions(), which every migration run calls.
CREATE TABLE logs.activity_log (
  organization_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  api_key_id uuid,
  actor text NOT NULL,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text,
  client_address text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (organization_id, id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX activity_log_org_created_idx ON logs.activity_log (organization_id, created_at DESC);

-- Creates the monthly partitions from last month to months_ahead months from now; idempotent.
CREATE OR REPLACE FUNCTION logs.ensure_activity_partitions(months_ahead integer DEFAULT 12) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  month_start date;
  name text;
BEGIN
  FOR i IN -1..months_ahead LOOP
    month_start := (date_trunc('month', now()) + make_interval(months => i))::date;
    name := format('activity_log_%s', to_char(month_start, 'YYYY_MM'));
    IF to_regclass(format('logs.%I', name)) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE logs.%I PARTITION OF logs.activity_log FOR VALUES FROM (%L) TO (%L)',
        name, month_start, (month_start + interval '1 month')::date);
    END IF;
  END LOOP;
END
$$;
SELECT logs.ensure_activity_partitions(12);

-- Per-organization totals, refreshed on demand (ingest metrics --refresh) or on a schedule, never per query.
CREATE MATERIALIZED VIEW analytics.organization_metrics AS
SELECT
  o.id AS organization_id,
  count(f.id) FILTER (WHERE f.status = 'ready') AS ready_files,
  count(f.id) FILTER (WHERE f.status = 'failed') AS failed_files,
  coalesce(sum(f.size_bytes) FILTER (WHERE f.status = 'ready'), 0)::bigint AS original_bytes,
  coalesce(sum(f.stored_bytes) FILTER (WHERE f.status = 'ready'), 0)::bigint AS stored_bytes,
  coalesce(sum(f.row_count) FILTER (WHERE f.status = 'ready'), 0)::bigint AS rows,
  now() AS refreshed_at
FROM tenant.organizations o
LEFT JOIN storage_meta.files f ON f.organization_id = o.id
GROUP BY o.id;
CREATE UNIQUE INDEX organization_metrics_org_idx ON analytics.organization_metrics (organization_id);
