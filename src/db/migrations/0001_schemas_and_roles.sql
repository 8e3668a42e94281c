-- Schemas by domain, and the application role that every tenant query runs under.
-- ingest_app owns nothing and does not bypass row-level security; the login role (the one in
-- DATABASE_URL, or the embedded server's superuser) owns the tables and runs migrations.

CREATE SCHEMA IF NOT EXISTS tenant;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS storage_meta;
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE SCHEMA IF NOT EXISTS logs;

-- Roles are cluster-wide: another database on the same server may have created it already,
-- possibly at this very moment (a duplicate_object or unique_violation race), which is fine.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ingest_app') THEN
    CREATE ROLE ingest_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;

-- The login role must be able to SET ROLE ingest_app (a superuser always can).
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT ingest_app TO %I', current_user);
  END IF;
END
$$;

GRANT USAGE ON SCHEMA tenant, audit, storage_meta, analytics, logs TO ingest_app;

-- The organization a transaction acts for, from the per-transaction setting ingest.organization_id.
-- NULL when unset, so a policy comparing to it matches nothing: a query that forgot to set the
-- organization sees no rows instead of every row.
CREATE OR REPLACE FUNCTION tenant.current_organization_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('ingest.organization_id', true), '')::uuid $$;

-- True when a row's organization is the one the transaction acts for. Every policy uses it.
CREATE OR REPLACE FUNCTION tenant.is_current_organization(org uuid) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT org IS NOT DISTINCT FROM tenant.current_organization_id() AND org IS NOT NULL $$;

GRANT EXECUTE ON FUNCTION tenant.current_organization_id(), tenant.is_current_organization(uuid) TO ingest_app;
