-- Row-level security on every tenant table: isolation holds even when an application query forgets
-- its WHERE. Tenant queries run as ingest_app with ingest.organization_id set per transaction.

DO $$
DECLARE
  t record;
  org_column text;
BEGIN
  FOR t IN
    SELECT n.nspname AS schema_name, c.relname AS table_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('tenant', 'audit', 'storage_meta', 'analytics', 'logs')
      AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition
  LOOP
    org_column := CASE WHEN t.schema_name = 'tenant' AND t.table_name = 'organizations' THEN 'id' ELSE 'organization_id' END;
    EXECUTE format('ALTER TABLE %I.%I ENABLE ROW LEVEL SECURITY', t.schema_name, t.table_name);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I.%I USING (tenant.is_current_organization(%I)) WITH CHECK (tenant.is_current_organization(%I))',
      t.schema_name, t.table_name, org_column, org_column);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO ingest_app', t.schema_name, t.table_name);
  END LOOP;
END
$$;

-- Organizations are created and deleted by operators (the CLI's login role), not by tenants.
REVOKE INSERT, DELETE ON tenant.organizations FROM ingest_app;
-- The materialized view has no RLS; tenants read their own row through this view only.
REVOKE ALL ON analytics.organization_metrics FROM ingest_app;
CREATE VIEW analytics.current_organization_metrics WITH (security_barrier) AS
  SELECT * FROM analytics.organization_metrics WHERE tenant.is_current_organization(organization_id);
GRANT SELECT ON analytics.current_organization_metrics TO ingest_app;
