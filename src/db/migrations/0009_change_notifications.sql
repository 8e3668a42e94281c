-- Change notifications for the HTTP server's caches (src/db/change-feed.ts). A server keeps
-- answers that only change when a row here changes: a ready file's metrics, an organization's file
-- listing, a verified API key. Every process that changes those rows (a server, the CLI, an operator
-- in psql) notifies through these triggers, and PostgreSQL delivers the notification to every
-- listening server when, and only if, the change commits.

-- Notifies channel TG_ARGV[0] with '<organization id> <row id>' of the row changed (for a delete, the
-- row removed). Used by the triggers below on tables whose rows have both columns.
CREATE FUNCTION tenant.notify_row_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  PERFORM pg_notify(TG_ARGV[0], changed.organization_id::text || ' ' || changed.id::text);
  RETURN NULL;
END
$$;

-- Any change to a file row: it was claimed, became ready, failed, was archived, restored or deleted
-- (its metrics go with it).
CREATE TRIGGER files_notify_change
AFTER INSERT OR UPDATE OR DELETE ON storage_meta.files
FOR EACH ROW EXECUTE FUNCTION tenant.notify_row_change('ingest_file_changes');

-- A key's revocation (or removal, or any change to what it may do); not the last_used_at stamp every
-- rate-limit count writes, which would notify constantly.
CREATE TRIGGER api_keys_notify_change
AFTER UPDATE ON tenant.api_keys
FOR EACH ROW
WHEN (
  OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
  OR OLD.scopes IS DISTINCT FROM NEW.scopes
  OR OLD.rate_limit_per_minute IS DISTINCT FROM NEW.rate_limit_per_minute
  OR OLD.secret_sha256 IS DISTINCT FROM NEW.secret_sha256
  OR OLD.prefix IS DISTINCT FROM NEW.prefix
)
EXECUTE FUNCTION tenant.notify_row_change('ingest_api_key_changes');

CREATE TRIGGER api_keys_notify_delete
AFTER DELETE ON tenant.api_keys
FOR EACH ROW EXECUTE FUNCTION tenant.notify_row_change('ingest_api_key_changes');
