-- What the HTTP server needs from the database: API key look-up before the organization is known,
-- scope names checked where keys are stored, and an organization's storage usage for quotas.

-- The scopes a key may carry; the server checks them per endpoint (src/server/scopes.ts).
ALTER TABLE tenant.api_keys ADD CONSTRAINT api_keys_scopes_check
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['files:read', 'files:write', 'files:delete']::text[]);

-- Authentication looks a key up by its prefix before any organization is set, so row-level security
-- would hide it from ingest_app. This narrow definer function returns the one key with exactly that
-- prefix and nothing else; the secret's hash is compared in constant time by the server.
CREATE FUNCTION tenant.find_api_key(key_prefix text)
RETURNS TABLE (
  organization_id uuid,
  organization_slug text,
  id uuid,
  secret_sha256 bytea,
  scopes text[],
  rate_limit_per_minute integer,
  revoked_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT k.organization_id, o.slug, k.id, k.secret_sha256, k.scopes, k.rate_limit_per_minute, k.revoked_at
  FROM tenant.api_keys k JOIN tenant.organizations o ON o.id = k.organization_id
  WHERE k.prefix = key_prefix
$$;
REVOKE ALL ON FUNCTION tenant.find_api_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant.find_api_key(text) TO ingest_app;

-- Bytes an organization uses against its quota: the original size of every file that is ready or
-- being processed (a processing file holds its space until it fails). Runs with the caller's rights,
-- so under ingest_app it sees only the current organization's files: any other id yields 0.
CREATE FUNCTION tenant.calculate_storage_usage(org_id uuid) RETURNS bigint
LANGUAGE sql STABLE
AS $$
  SELECT coalesce(sum(size_bytes), 0)::bigint
  FROM storage_meta.files
  WHERE organization_id = org_id AND status IN ('ready', 'processing')
$$;
GRANT EXECUTE ON FUNCTION tenant.calculate_storage_usage(uuid) TO ingest_app;

