-- Organizations, their members and their API keys.

CREATE TABLE tenant.organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name text NOT NULL,
  -- NULL means no quota.
  storage_quota_bytes bigint CHECK (storage_quota_bytes IS NULL OR storage_quota_bytes >= 0),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tenant.organization_members (
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  member_email text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, member_email)
);

-- Only a SHA-256 hash of the secret is stored. The prefix is what users see in listings and what
-- authentication looks a key up by; it is unique across organizations.
CREATE TABLE tenant.api_keys (
  organization_id uuid NOT NULL REFERENCES tenant.organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL DEFAULT '',
  prefix text NOT NULL UNIQUE,
  secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
  scopes text[] NOT NULL,
  rate_limit_per_minute integer NOT NULL DEFAULT 600 CHECK (rate_limit_per_minute > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (organization_id, id),
  UNIQUE (id)
);

-- Requests counted per key and minute, in the database so limits hold across server processes.
CREATE TABLE tenant.rate_limit_windows (
  organization_id uuid NOT NULL,
  api_key_id uuid NOT NULL,
  window_start timestamptz NOT NULL,
  request_count integer NOT NULL,
  PRIMARY KEY (organization_id, api_key_id, window_start),
  FOREIGN KEY (organization_id, api_key_id) REFERENCES tenant.api_keys (organization_id, id) ON DELETE CASCADE
);
