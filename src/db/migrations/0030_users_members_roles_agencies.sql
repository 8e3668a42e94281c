-- People: users who sign in through the identity provider, their memberships with roles, invitations by
-- email, agencies with client organizations, and branding. The role table of src/domain/roles.ts is
-- enforced here too, by row-level security policies per operation.
--
-- Per-transaction settings, beside ingest.organization_id (src/db/tenant-context.ts sets all three):
--   ingest.user_id  the signed-in user a request acts for ('' for an API key or an operator)
--   ingest.role     that user's role in the organization: viewer | member | admin | owner ('' likewise)
-- A transaction without a role is a service transaction (an API key, whose scopes the server checks, or
-- the CLI): it keeps exactly what ingest_app could do before users existed. A transaction with a role is
-- held to the role table: a viewer's transaction cannot insert a file row even if the application forgot
-- to check. Managing members, keys, branding, quota and client organizations as ingest_app needs a role.

-- 1. Users and the settings' helper functions --------------------------------------------------------

CREATE TABLE tenant.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The identity provider's user id: the token's `sub` (the MVP's users.clerk_id).
  external_id text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 255),
  email text CHECK (email IS NULL OR length(email) <= 320),
  name text CHECK (name IS NULL OR length(name) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz
);
CREATE INDEX users_email_idx ON tenant.users (lower(email));

CREATE FUNCTION tenant.current_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('ingest.user_id', true), '')::uuid $$;

-- NULL in a service transaction; a value outside the four roles counts as none of them (no rank).
CREATE FUNCTION tenant.current_member_role() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('ingest.role', true), '') $$;

-- The role table of src/domain/roles.ts: a role's rank, and the weakest role's rank per permission.
CREATE FUNCTION tenant.role_rank(role text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE role WHEN 'viewer' THEN 0 WHEN 'member' THEN 1 WHEN 'admin' THEN 2 WHEN 'owner' THEN 3 END $$;

CREATE FUNCTION tenant.permission_rank(permission text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE permission
    WHEN 'files:read' THEN 0
    WHEN 'files:write' THEN 1
    WHEN 'files:delete' THEN 2
    WHEN 'keys:manage' THEN 2
    WHEN 'members:manage' THEN 2
    WHEN 'clients:create' THEN 2
    WHEN 'owners:manage' THEN 3
    WHEN 'organization:manage' THEN 3
  END
$$;

-- True when the transaction's member role allows `permission`; false in a service transaction and for
-- an unknown role or permission.
CREATE FUNCTION tenant.member_allows(permission text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT coalesce(tenant.role_rank(tenant.current_member_role()) >= tenant.permission_rank(permission), false)
$$;

-- What the policies on file data use: a service transaction keeps what it had (the server checked the
-- key's scopes), a member's transaction is held to its role.
CREATE FUNCTION tenant.role_allows(permission text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT tenant.current_member_role() IS NULL OR tenant.member_allows(permission) $$;

-- Admins invite up to admin; only owners make owners (src/domain/roles.ts mayGrantRole).
CREATE FUNCTION tenant.may_grant_role(granted text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT tenant.member_allows('members:manage')
     AND (tenant.role_rank(granted) <= 2 OR tenant.member_allows('owners:manage'))
$$;

-- Admins change or remove viewers and members; only owners touch admins and owners (mayChangeMember).
CREATE FUNCTION tenant.may_change_member(current_role_of_member text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT tenant.member_allows('members:manage')
     AND (tenant.role_rank(current_role_of_member) < 2 OR tenant.member_allows('owners:manage'))
$$;

GRANT EXECUTE ON FUNCTION tenant.current_user_id(), tenant.current_member_role(), tenant.role_rank(text),
  tenant.permission_rank(text), tenant.member_allows(text), tenant.role_allows(text),
  tenant.may_grant_role(text), tenant.may_change_member(text) TO ingest_app;

-- 2. Agencies ------------------------------------------------------------------------------------------

-- One level: an agency has clients, a client has no clients. Deleting an agency leaves its clients on
-- their own (their agency's members lose access through it).
ALTER TABLE tenant.organizations
  ADD COLUMN parent_id uuid REFERENCES tenant.organizations (id) ON DELETE SET NULL,
  ADD CONSTRAINT organizations_not_own_parent CHECK (parent_id IS DISTINCT FROM id);
CREATE INDEX organizations_parent_idx ON tenant.organizations (parent_id) WHERE parent_id IS NOT NULL;

CREATE FUNCTION tenant.refuse_nested_agencies() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NEW.parent_id IS NOT NULL THEN
    IF EXISTS (SELECT 1 FROM tenant.organizations WHERE id = NEW.parent_id AND parent_id IS NOT NULL) THEN
      RAISE EXCEPTION 'organization % is a client organization and cannot have clients', NEW.parent_id
        USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM tenant.organizations WHERE parent_id = NEW.id) THEN
      RAISE EXCEPTION 'organization % has client organizations and cannot become a client', NEW.id
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER organizations_one_level
BEFORE INSERT OR UPDATE OF parent_id ON tenant.organizations
FOR EACH ROW EXECUTE FUNCTION tenant.refuse_nested_agencies();

-- A member's transaction in an agency sees its clients (GET /v1/organizations); a service transaction
-- does not. Permissive: ORed with tenant_isolation.
CREATE POLICY agency_clients ON tenant.organizations FOR SELECT TO ingest_app
  USING (parent_id = tenant.current_organization_id() AND tenant.member_allows('files:read'));

-- 3. Memberships and invitations -----------------------------------------------------------------------

-- (tenant.organization_members of migration 0002, keyed by email and never used, stays as it was.)
CREATE TABLE tenant.memberships (
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES tenant.users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON tenant.memberships (user_id);

-- An invitation by email waits for the first sign-in whose verified email matches (tenant.sign_in).
CREATE TABLE tenant.invitations (
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
  role text NOT NULL CHECK (role IN ('viewer', 'member', 'admin', 'owner')),
  invited_by uuid REFERENCES tenant.users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, email)
);
CREATE INDEX invitations_email_idx ON tenant.invitations (email);

-- 4. Branding --------------------------------------------------------------------------------------------

-- White-labeling; a NULL field is inherited from the agency (tenant.inherited_branding).
CREATE TABLE tenant.branding (
  organization_id uuid PRIMARY KEY REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  display_name text CHECK (length(display_name) BETWEEN 1 AND 100),
  logo_url text CHECK (logo_url ~ '^https://' AND length(logo_url) <= 2048),
  primary_color text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
  support_email text CHECK (length(support_email) <= 320),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- 5. Who did it: the acting user beside the acting key ----------------------------------------------------

ALTER TABLE logs.activity_log ADD COLUMN user_id uuid;
GRANT INSERT (user_id) ON logs.activity_log TO ingest_app;

-- 6. Row-level security, one policy per operation ---------------------------------------------------------

ALTER TABLE tenant.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant.branding ENABLE ROW LEVEL SECURITY;

-- A user row is visible to the user itself and to a transaction of an organization it is a member of.
-- Rows are written only by the definer functions below (sign-in, invitation by external id).
CREATE POLICY user_visibility ON tenant.users FOR SELECT TO ingest_app
  USING (
    id = tenant.current_user_id()
    OR EXISTS (SELECT 1 FROM tenant.memberships m
               WHERE m.user_id = users.id AND m.organization_id = tenant.current_organization_id())
  );
GRANT SELECT ON tenant.users TO ingest_app;

CREATE POLICY tenant_isolation ON tenant.memberships
  USING (tenant.is_current_organization(organization_id))
  WITH CHECK (tenant.is_current_organization(organization_id));
CREATE POLICY select_by_role ON tenant.memberships AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON tenant.memberships AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.may_grant_role(role));
CREATE POLICY update_by_role ON tenant.memberships AS RESTRICTIVE FOR UPDATE TO ingest_app
  USING (tenant.may_change_member(role)) WITH CHECK (tenant.may_grant_role(role));
CREATE POLICY delete_by_role ON tenant.memberships AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (tenant.may_change_member(role));
GRANT SELECT, DELETE ON tenant.memberships TO ingest_app;
GRANT INSERT (organization_id, user_id, role) ON tenant.memberships TO ingest_app;
GRANT UPDATE (role) ON tenant.memberships TO ingest_app;

CREATE POLICY tenant_isolation ON tenant.invitations
  USING (tenant.is_current_organization(organization_id))
  WITH CHECK (tenant.is_current_organization(organization_id));
CREATE POLICY select_by_role ON tenant.invitations AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON tenant.invitations AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.may_grant_role(role));
CREATE POLICY update_by_role ON tenant.invitations AS RESTRICTIVE FOR UPDATE TO ingest_app
  USING (tenant.may_change_member(role)) WITH CHECK (tenant.may_grant_role(role));
CREATE POLICY delete_by_role ON tenant.invitations AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (tenant.may_change_member(role));
GRANT SELECT, DELETE ON tenant.invitations TO ingest_app;
GRANT INSERT (organization_id, email, role, invited_by) ON tenant.invitations TO ingest_app;
GRANT UPDATE (role, invited_by) ON tenant.invitations TO ingest_app;

CREATE POLICY tenant_isolation ON tenant.branding
  USING (tenant.is_current_organization(organization_id))
  WITH CHECK (tenant.is_current_organization(organization_id));
CREATE POLICY select_by_role ON tenant.branding AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON tenant.branding AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.member_allows('organization:manage'));
CREATE POLICY update_by_role ON tenant.branding AS RESTRICTIVE FOR UPDATE TO ingest_app
  USING (tenant.member_allows('organization:manage')) WITH CHECK (tenant.member_allows('organization:manage'));
CREATE POLICY delete_by_role ON tenant.branding AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (tenant.member_allows('organization:manage'));
GRANT SELECT, DELETE ON tenant.branding TO ingest_app;
GRANT INSERT (organization_id, display_name, logo_url, primary_color, support_email, updated_at)
  ON tenant.branding TO ingest_app;
GRANT UPDATE (display_name, logo_url, primary_color, support_email, updated_at) ON tenant.branding TO ingest_app;

-- The file data of migrations 0003 and 0004, by operation. Restrictive: ANDed with tenant_isolation.
-- Only operations ingest_app holds a privilege for (migration 0010) get a policy.
CREATE POLICY select_by_role ON storage_meta.files AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON storage_meta.files AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.role_allows('files:write'));
CREATE POLICY update_by_role ON storage_meta.files AS RESTRICTIVE FOR UPDATE TO ingest_app
  USING (tenant.role_allows('files:write')) WITH CHECK (tenant.role_allows('files:write'));
CREATE POLICY delete_by_role ON storage_meta.files AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (tenant.role_allows('files:delete'));

CREATE POLICY select_by_role ON storage_meta.file_chunks AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON storage_meta.file_chunks AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.role_allows('files:write'));
-- Archival replaces chunks (an operator's command, a service transaction); a member never deletes them.
CREATE POLICY delete_by_role ON storage_meta.file_chunks AS RESTRICTIVE FOR DELETE TO ingest_app
  USING (tenant.role_allows('files:delete'));

CREATE POLICY select_by_role ON storage_meta.rejected_rows AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON storage_meta.rejected_rows AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.role_allows('files:write'));

CREATE POLICY select_by_role ON analytics.metrics AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON analytics.metrics AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.role_allows('files:write'));

CREATE POLICY select_by_role ON audit.audits AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('files:read'));
CREATE POLICY insert_by_role ON audit.audits AS RESTRICTIVE FOR INSERT TO ingest_app
  WITH CHECK (tenant.role_allows('files:write'));

-- Key listing is for admins; the key path (a service transaction) lists and stamps keys as before.
CREATE POLICY select_by_role ON tenant.api_keys AS RESTRICTIVE FOR SELECT TO ingest_app
  USING (tenant.role_allows('keys:manage'));

-- 7. Definer functions: what ingest_app may do beyond its grants, each checking the role itself -----------

-- Sign-in: the user with this external id, created on first sign-in; email and name fill what is empty;
-- last_seen_at stamped. When the provider vouches for the email (email_verified), every invitation to it
-- becomes a membership (an existing membership keeps its role) and is logged. Returns the user's id.
-- Called by the server after it verified the token; no organization is set yet.
CREATE FUNCTION tenant.sign_in(p_external_id text, p_email text, p_email_verified boolean, p_name text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  uid uuid;
  accepted record;
BEGIN
  INSERT INTO tenant.users AS u (external_id, email, name, last_seen_at)
  VALUES (p_external_id, p_email, p_name, now())
  ON CONFLICT (external_id) DO UPDATE
    SET email = coalesce(u.email, excluded.email), name = coalesce(u.name, excluded.name), last_seen_at = now()
  RETURNING u.id INTO uid;
  IF p_email_verified AND p_email IS NOT NULL THEN
    FOR accepted IN
      DELETE FROM tenant.invitations i WHERE i.email = lower(p_email) RETURNING i.organization_id, i.role, i.invited_by
    LOOP
      INSERT INTO tenant.memberships (organization_id, user_id, role)
      VALUES (accepted.organization_id, uid, accepted.role)
      ON CONFLICT (organization_id, user_id) DO NOTHING;
      INSERT INTO logs.activity_log (organization_id, actor, action, target_type, target_id, user_id, details)
      VALUES (accepted.organization_id, 'user:' || uid, 'member.join', 'member', uid::text, uid,
              jsonb_build_object('role', accepted.role, 'email', lower(p_email), 'invitedBy', accepted.invited_by));
    END LOOP;
  END IF;
  RETURN uid;
END
$$;

-- The role a user acts with in the organization `p_slug`: its own membership's, or its agency
-- membership's capped at admin (owning a client is explicit), whichever is higher. No row when the user
-- is neither: the server answers that exactly as for an organization that does not exist.
CREATE FUNCTION tenant.user_access(p_user_id uuid, p_slug text)
RETURNS TABLE (organization_id uuid, organization_slug text, role text, via_agency boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  WITH org AS (SELECT o.id, o.slug, o.parent_id FROM tenant.organizations o WHERE o.slug = p_slug),
  direct AS (SELECT m.role FROM tenant.memberships m, org WHERE m.organization_id = org.id AND m.user_id = p_user_id),
  agency AS (
    SELECT CASE WHEN m.role = 'owner' THEN 'admin' ELSE m.role END AS role
    FROM tenant.memberships m, org WHERE m.organization_id = org.parent_id AND m.user_id = p_user_id
  ),
  best AS (
    SELECT r.role, r.via_agency FROM (
      SELECT role, false AS via_agency FROM direct UNION ALL SELECT role, true FROM agency
    ) r ORDER BY tenant.role_rank(r.role) DESC, r.via_agency LIMIT 1
  )
  SELECT org.id, org.slug, best.role, best.via_agency FROM org, best
$$;

-- Every organization a user can act in (GET /v1/me): its memberships and its agencies' clients.
CREATE FUNCTION tenant.user_organizations(p_user_id uuid)
RETURNS TABLE (organization_id uuid, organization_slug text, organization_name text, parent_slug text,
               role text, via_agency boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT DISTINCT ON (o.id) o.id, o.slug, o.name, p.slug, a.role, a.via_agency
  FROM (
    SELECT m.organization_id AS id, m.role, false AS via_agency FROM tenant.memberships m WHERE m.user_id = p_user_id
    UNION ALL
    SELECT c.id, CASE WHEN m.role = 'owner' THEN 'admin' ELSE m.role END, true
    FROM tenant.memberships m JOIN tenant.organizations c ON c.parent_id = m.organization_id
    WHERE m.user_id = p_user_id
  ) a
  JOIN tenant.organizations o ON o.id = a.id
  LEFT JOIN tenant.organizations p ON p.id = o.parent_id
  ORDER BY o.id, tenant.role_rank(a.role) DESC, a.via_agency
$$;

-- The user with this external id, created (without email or name, which its first sign-in fills) for an
-- invitation by external id. Needs a member's role that may manage members in the current organization.
CREATE FUNCTION tenant.ensure_user(p_external_id text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  uid uuid;
BEGIN
  IF NOT tenant.member_allows('members:manage') THEN
    RAISE EXCEPTION 'permission denied to add users' USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO tenant.users AS u (external_id) VALUES (p_external_id)
  ON CONFLICT (external_id) DO UPDATE SET external_id = u.external_id
  RETURNING u.id INTO uid;
  RETURN uid;
END
$$;

-- Creates a client organization of the current one (an agency). Outcome: 'created', 'exists' (slug
-- taken), 'not_agency' (the current organization is itself a client), 'limit' (p_max_clients reached)
-- or 'denied' (the role may not create clients).
CREATE FUNCTION tenant.create_client_organization(p_slug text, p_name text, p_max_clients integer)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  agency uuid := tenant.current_organization_id();
BEGIN
  IF agency IS NULL OR NOT tenant.member_allows('clients:create') THEN
    RETURN QUERY SELECT NULL::uuid, 'denied'; RETURN;
  END IF;
  -- Serializes client creation per agency, so the count below holds.
  PERFORM 1 FROM tenant.organizations o WHERE o.id = agency FOR UPDATE;
  IF EXISTS (SELECT 1 FROM tenant.organizations o WHERE o.id = agency AND o.parent_id IS NOT NULL) THEN
    RETURN QUERY SELECT NULL::uuid, 'not_agency'; RETURN;
  END IF;
  IF (SELECT count(*) FROM tenant.organizations o WHERE o.parent_id = agency) >= p_max_clients THEN
    RETURN QUERY SELECT NULL::uuid, 'limit'; RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO tenant.organizations AS o (slug, name, parent_id) VALUES (p_slug, coalesce(p_name, p_slug), agency)
    ON CONFLICT (slug) DO NOTHING RETURNING o.id, 'created'::text;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::uuid, 'exists';
  END IF;
END
$$;

-- Sets the current organization's storage quota (NULL: none). Owners only; false otherwise.
CREATE FUNCTION tenant.set_storage_quota(p_bytes bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT tenant.member_allows('organization:manage') THEN RETURN false; END IF;
  UPDATE tenant.organizations SET storage_quota_bytes = p_bytes WHERE id = tenant.current_organization_id();
  RETURN FOUND;
END
$$;

-- The branding of the current organization's agency (what a client inherits), or no row.
CREATE FUNCTION tenant.inherited_branding()
RETURNS TABLE (display_name text, logo_url text, primary_color text, support_email text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT b.display_name, b.logo_url, b.primary_color, b.support_email
  FROM tenant.organizations o JOIN tenant.branding b ON b.organization_id = o.parent_id
  WHERE o.id = tenant.current_organization_id() AND tenant.role_allows('files:read')
$$;

-- An API key made by a member allowed to manage keys, in the current organization. Outcome: 'created',
-- 'limit' (p_max_keys unrevoked keys already) or 'denied'.
CREATE FUNCTION tenant.create_member_api_key(p_name text, p_prefix text, p_secret_sha256 bytea, p_scopes text[],
                                             p_rate_limit integer, p_max_keys integer)
RETURNS TABLE (id uuid, outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  org uuid := tenant.current_organization_id();
BEGIN
  IF org IS NULL OR NOT tenant.member_allows('keys:manage') THEN
    RETURN QUERY SELECT NULL::uuid, 'denied'; RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('ingest api keys ' || org::text, 0));
  IF (SELECT count(*) FROM tenant.api_keys k WHERE k.organization_id = org AND k.revoked_at IS NULL) >= p_max_keys THEN
    RETURN QUERY SELECT NULL::uuid, 'limit'; RETURN;
  END IF;
  RETURN QUERY
    INSERT INTO tenant.api_keys AS k (organization_id, name, prefix, secret_sha256, scopes, rate_limit_per_minute)
    VALUES (org, p_name, p_prefix, p_secret_sha256, p_scopes, coalesce(p_rate_limit, 600))
    RETURNING k.id, 'created'::text;
END
$$;

-- Revokes a key of the current organization; true when it was there (revoking twice keeps the first time).
CREATE FUNCTION tenant.revoke_member_api_key(p_key_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT tenant.member_allows('keys:manage') THEN
    RAISE EXCEPTION 'permission denied to revoke API keys' USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE tenant.api_keys SET revoked_at = coalesce(revoked_at, now())
  WHERE id = p_key_id AND organization_id = tenant.current_organization_id();
  RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION tenant.sign_in(text, text, boolean, text), tenant.user_access(uuid, text),
  tenant.user_organizations(uuid), tenant.ensure_user(text),
  tenant.create_client_organization(text, text, integer), tenant.set_storage_quota(bigint),
  tenant.inherited_branding(), tenant.create_member_api_key(text, text, bytea, text[], integer, integer),
  tenant.revoke_member_api_key(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenant.sign_in(text, text, boolean, text), tenant.user_access(uuid, text),
  tenant.user_organizations(uuid), tenant.ensure_user(text),
  tenant.create_client_organization(text, text, integer), tenant.set_storage_quota(bigint),
  tenant.inherited_branding(), tenant.create_member_api_key(text, text, bytea, text[], integer, integer),
  tenant.revoke_member_api_key(uuid) TO ingest_app;

-- 8. Change notifications: a server caches what a user may do per organization (the membership cache,
-- src/cache-coherence/membership-cache.ts); any change to who is a member of what, with which role, or
-- to which agency an organization belongs, reaches every server as a notification when it commits.
CREATE FUNCTION tenant.notify_membership_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  IF TG_TABLE_NAME = 'organizations' THEN
    PERFORM pg_notify('ingest_membership_changes', changed.id::text || ' ' || changed.id::text);
  ELSE
    PERFORM pg_notify('ingest_membership_changes', changed.organization_id::text || ' ' || changed.user_id::text);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER memberships_notify_change
AFTER INSERT OR UPDATE OR DELETE ON tenant.memberships
FOR EACH ROW EXECUTE FUNCTION tenant.notify_membership_change();
CREATE TRIGGER organizations_notify_parent_change
AFTER UPDATE OF parent_id ON tenant.organizations
FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
EXECUTE FUNCTION tenant.notify_membership_change();
CREATE TRIGGER organizations_notify_delete
AFTER DELETE ON tenant.organizations
FOR EACH ROW EXECUTE FUNCTION tenant.notify_membership_change();
