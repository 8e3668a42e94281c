-- The application role gets exactly what the code running as ingest_app does, per table, operation and
-- column; everything else is the login role's (operators, through the CLI). Migration 0005 granted
-- SELECT, INSERT, UPDATE and DELETE on every tenant table, so a tenant able to run SQL in its own tenant
-- context could lift its quota, un-revoke a key or raise its scopes, erase its activity log and clear
-- its rate-limit windows. Row-level security keeps it to its own rows; these grants keep it to the
-- operations the application performs on them.
--
-- Derived from every statement that runs under withTenant, withAppRole, inTenantTransaction,
-- enterTenant and tenantStatement (src/db, called from src/ingest, src/server, src/api-keys and
-- src/cli). Reading a table, limited by RLS to the organization's own rows, is granted on the whole
-- table (so columns added later stay readable) except where a column is a secret; writes are granted
-- per column.
--
-- table                             | operation | columns                          | statements (src/db)
-- ----------------------------------+-----------+----------------------------------+----------------------------
-- tenant.organizations              | SELECT    | all                              | storageUsage, reserveStorage
--                                   | (none)    | no INSERT/UPDATE/DELETE: quota, name and settings are the operator's;
--                                   |           | reserveStorage serializes claims with an advisory lock, not a row lock
-- tenant.organization_members       | (none)    | the application never reads or writes members
-- tenant.api_keys                   | SELECT    | all but secret_sha256            | listApiKeys (key list), countKeyRequests
--                                   | UPDATE    | last_used_at                     | countKeyRequests
--                                   | (none)    | no INSERT, no other UPDATE, no DELETE: keys are created and revoked by
--                                   |           | the CLI as the login role (createApiKey, revokeApiKeyById); the
--                                   |           | server looks keys up through the definer tenant.find_api_key
-- tenant.rate_limit_windows         | SELECT    | all                              | countKeyRequests (upsert, RETURNING)
--                                   | INSERT    | organization_id, api_key_id,     | countKeyRequests
--                                   |           | window_start, request_count      |
--                                   | UPDATE    | request_count                    | countKeyRequests (ON CONFLICT DO UPDATE)
--                                   | DELETE    | rows of past windows only        | countKeyRequests (pruning)
--                                   |           | (restrictive policy below); a trigger refuses lowering a count
-- audit.audits                      | SELECT    | all                              | ensureAudit
--                                   | INSERT    | organization_id, name            | ensureAudit
-- storage_meta.files                | SELECT    | all                              | getFile, findFileBySha, listFiles,
--                                   |           |                                  | listFilesPage, listArchivableFiles, ...
--                                   | INSERT    | organization_id, sha256,         | claimFile
--                                   |           | size_bytes, filename, object_key,|
--                                   |           | audit_id, status, processed_by,  |
--                                   |           | started_at                       |
--                                   | UPDATE    | status, size_bytes, filename,    | claimFile (ON CONFLICT), markFileReady,
--                                   |           | object_key, audit_id,            | replaceChunksWithArchive (also its
--                                   |           | processed_by, started_at, error, | SELECT ... FOR UPDATE), clearArchive
--                                   |           | finished_at, dialect, header_raw,|
--                                   |           | columns, row_count, chunk_count, |
--                                   |           | stored_bytes, rejected_row_count,|
--                                   |           | duration_ms, archived_at,        |
--                                   |           | archive_key, archive_sha256,     |
--                                   |           | archive_bytes                    |
--                                   |           | never: id, organization_id, sha256, created_at
--                                   | DELETE    |                                  | deleteFileRow (its chunks, metrics and
--                                   |           |                                  | rejected rows go by ON DELETE CASCADE,
--                                   |           |                                  | which needs no privilege of the caller)
-- storage_meta.file_chunks          | SELECT    | all                              | readChunks
--                                   | INSERT    | all nine columns                 | ChunkWriter (INSERT ... SELECT)
--                                   | DELETE    |                                  | replaceChunksWithArchive
--                                   | (none)    | no UPDATE
-- storage_meta.rejected_rows        | SELECT    | all                              | listRejectedRows
--                                   | INSERT    | all six columns                  | insertRejectedRows
--                                   | (none)    | no UPDATE, no DELETE
-- analytics.metrics                 | SELECT    | all                              | listFileMetrics, listReadyFileMetrics
--                                   | INSERT    | all but id, created_at           | insertMetricRows (the identity column
--                                   |           |                                  | needs no sequence privilege)
--                                   | (none)    | no UPDATE, no DELETE
-- analytics.current_organization_metrics | SELECT | (view of the own row, 0005)  | -
-- analytics.organization_metrics    | (none)    | spans organizations (0005)
-- logs.activity_log                 | INSERT    | organization_id, actor, action,  | logActivity
--                                   |           | target_type, target_id,          |
--                                   |           | api_key_id, client_address,      |
--                                   |           | details                          |
--                                   | (none)    | INSERT only: no SELECT, UPDATE or DELETE of the log
-- every table                       | (none)    | no TRUNCATE, REFERENCES or TRIGGER (never granted); no sequence
--                                   |           | privileges; partitions get no grants (reached through their parent)
--
-- No migration sets default privileges, so a table a later migration creates gives ingest_app nothing
-- until that migration grants it; the same holds for a column added to a table above (only SELECT,
-- granted on the whole table, covers it).

-- Start from nothing on every relation and sequence of the application schemas, then grant.
REVOKE ALL ON ALL TABLES IN SCHEMA tenant, audit, storage_meta, analytics, logs FROM ingest_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA tenant, audit, storage_meta, analytics, logs FROM ingest_app;

GRANT SELECT ON tenant.organizations TO ingest_app;

GRANT SELECT (organization_id, id, name, prefix, scopes, rate_limit_per_minute, created_at, last_used_at, revoked_at)
  ON tenant.api_keys TO ingest_app;
GRANT UPDATE (last_used_at) ON tenant.api_keys TO ingest_app;

GRANT SELECT, DELETE ON tenant.rate_limit_windows TO ingest_app;
GRANT INSERT (organization_id, api_key_id, window_start, request_count) ON tenant.rate_limit_windows TO ingest_app;
GRANT UPDATE (request_count) ON tenant.rate_limit_windows TO ingest_app;

GRANT SELECT ON audit.audits TO ingest_app;
GRANT INSERT (organization_id, name) ON audit.audits TO ingest_app;

GRANT SELECT, DELETE ON storage_meta.files TO ingest_app;
GRANT INSERT (organization_id, sha256, size_bytes, filename, object_key, audit_id, status, processed_by, started_at)
  ON storage_meta.files TO ingest_app;
GRANT UPDATE (status, size_bytes, filename, object_key, audit_id, processed_by, started_at, error, finished_at,
              dialect, header_raw, columns, row_count, chunk_count, stored_bytes, rejected_row_count, duration_ms,
              archived_at, archive_key, archive_sha256, archive_bytes)
  ON storage_meta.files TO ingest_app;

GRANT SELECT, DELETE ON storage_meta.file_chunks TO ingest_app;
GRANT INSERT (organization_id, file_id, chunk_index, first_row, row_count, raw_bytes, compressed_bytes, xxh64, payload)
  ON storage_meta.file_chunks TO ingest_app;

GRANT SELECT ON storage_meta.rejected_rows TO ingest_app;
GRANT INSERT (organization_id, file_id, line, code, reason, raw) ON storage_meta.rejected_rows TO ingest_app;

GRANT SELECT ON analytics.metrics TO ingest_app;
GRANT INSERT (organization_id, audit_id, file_id, column_name, column_index, metric_type, numeric_value, text_value)
  ON analytics.metrics TO ingest_app;

GRANT SELECT ON analytics.current_organization_metrics TO ingest_app;

GRANT INSERT (organization_id, actor, action, target_type, target_id, api_key_id, client_address, details)
  ON logs.activity_log TO ingest_app;

-- Rate-limit windows: the application deletes only windows that ended (pruning, never read again), so a
-- window still counting cannot be deleted by ingest_app. Restrictive: ANDed with tenant_isolation.
CREATE POLICY delete_past_windows_only ON tenant.rate_limit_windows AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (window_start < date_trunc('minute', now()));

-- ...and it only ever adds to a window's count. A policy cannot compare a row with its old version, so a
-- trigger refuses lowering a count (what clearing a window by UPDATE would be) with the SQLSTATE of a
-- privilege failure. The login role is not subject to it: it changes windows only by deleting keys.
CREATE FUNCTION tenant.refuse_lowered_request_count() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.request_count < OLD.request_count AND current_user = 'ingest_app' THEN
    RAISE EXCEPTION 'permission denied to lower a rate-limit window''s request count'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER rate_limit_windows_count_only_grows
BEFORE UPDATE OF request_count ON tenant.rate_limit_windows
FOR EACH ROW EXECUTE FUNCTION tenant.refuse_lowered_request_count();

-- Creating partitions is the migration's (the login role's) work; functions are executable by PUBLIC
-- unless revoked.
REVOKE ALL ON FUNCTION logs.ensure_activity_partitions(integer) FROM PUBLIC;
