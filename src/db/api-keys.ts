import type pg from 'pg';
import { isUuid } from '../ids.js';
import type { Queryable } from './pool.js';
import { tenantStatement, uuidLiteral } from './tenant-context.js';

/** An API key as stored: never the secret, only its SHA-256. */
export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  name: string;
  prefix: string;
  scopes: string[];
  rateLimitPerMinute: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What authentication needs about a key, found by prefix before any organization is known. */
export interface ApiKeyCredentials {
  id: string;
  organizationId: string;
  organizationSlug: string;
  secretSha256: Buffer;
  scopes: string[];
  rateLimitPerMinute: number;
  revokedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rate_limit_per_minute: number;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS =
  'id, organization_id, name, prefix, scopes, rate_limit_per_minute, created_at, last_used_at, revoked_at';

function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    rateLimitPerMinute: r.rate_limit_per_minute,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/** Stores a new key. Operator path (login role): ingest_app may not insert keys (migration 0010). */
export async function insertApiKey(
  db: Queryable,
  input: {
    organizationId: string;
    name: string;
    prefix: string;
    secretSha256: Buffer;
    scopes: string[];
    rateLimitPerMinute?: number;
  },
): Promise<ApiKeyRecord> {
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO tenant.api_keys (organization_id, name, prefix, secret_sha256, scopes, rate_limit_per_minute)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, 600)) RETURNING ${COLUMNS}`,
    [
      input.organizationId,
      input.name,
      input.prefix,
      input.secretSha256,
      input.scopes,
      input.rateLimitPerMinute ?? null,
    ],
  );
  return toApiKey(rows[0]!);
}

/** The organization's keys, newest first (RLS limits them to the current organization). */
export async function listApiKeys(db: Queryable): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM tenant.api_keys ORDER BY created_at DESC, id`,
  );
  return rows.map(toApiKey);
}

/**
 * Marks a key revoked; returns it, or null when there is no such key. Revoking twice keeps the first
 * time. Operator path (login role): ingest_app may update nothing of a key but last_used_at.
 */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<ApiKeyRecord | null> {
  const { rows } = await db.query<ApiKeyRow>(
    `UPDATE tenant.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [keyId],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

/** The organization owning a key id. Operator path (login role, no tenant context): the CLI's revoke. */
export async function findApiKeyOrganizationId(db: Queryable, keyId: string): Promise<string | null> {
  if (!isUuid(keyId)) return null;
  const { rows } = await db.query<{ organization_id: string }>(
    'SELECT organization_id FROM tenant.api_keys WHERE id = $1',
    [keyId],
  );
  return rows[0]?.organization_id ?? null;
}

/**
 * A key's credentials by prefix, through the definer function tenant.find_api_key (migration 0006):
 * usable by ingest_app with no organization set, and returning nothing but the one key.
 */
export async function findApiKeyByPrefix(db: Queryable, prefix: string): Promise<ApiKeyCredentials | null> {
  const { rows } = await db.query<{
    organization_id: string;
    organization_slug: string;
    id: string;
    secret_sha256: Buffer;
    scopes: string[];
    rate_limit_per_minute: number;
    revoked_at: Date | null;
  }>('SELECT * FROM tenant.find_api_key($1)', [prefix]);
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    organizationId: r.organization_id,
    organizationSlug: r.organization_slug,
    secretSha256: r.secret_sha256,
    scopes: r.scopes,
    rateLimitPerMinute: r.rate_limit_per_minute,
    revokedAt: r.revoked_at,
  };
}

/**
 * Counts `requests` requests of a key in the current minute's window and records the key as used, in
 * one round trip of its own tenant transaction (see tenantStatement). The counter lives in PostgreSQL
 * so every server process shares it. Returns the window's count after adding them and the
 * milliseconds until the window ends, or null when the key was revoked (or deleted) meanwhile.
 *
 * Every count of a key updates the same two rows (the key's and its window's), so how long their locks
 * are held bounds how often a key can be counted: one statement, committed in the same round trip and
 * without waiting for the WAL flush (a count lost in a crash is harmless).
 */
export async function countKeyRequests(
  pool: pg.Pool,
  organizationId: string,
  keyId: string,
  requests: number,
): Promise<{ count: number; msLeft: number } | null> {
  if (!Number.isSafeInteger(requests) || requests < 1)
    throw new Error(`requests must be a positive integer, got ${requests}`);
  const org = uuidLiteral(organizationId);
  const key = uuidLiteral(keyId);
  const rows = await tenantStatement<{ request_count: number; ms_left: number }>(
    pool,
    organizationId,
    `WITH touched AS (
       UPDATE tenant.api_keys SET last_used_at = now()
       WHERE organization_id = ${org} AND id = ${key} AND revoked_at IS NULL
       RETURNING id
     ), counted AS (
       INSERT INTO tenant.rate_limit_windows AS w (organization_id, api_key_id, window_start, request_count)
       SELECT ${org}, ${key}, date_trunc('minute', now()), ${requests} FROM touched
       ON CONFLICT (organization_id, api_key_id, window_start)
         DO UPDATE SET request_count = w.request_count + ${requests}
       RETURNING request_count,
         ceil(extract(epoch FROM w.window_start + interval '1 minute' - clock_timestamp()) * 1000)::int AS ms_left
     ), pruned AS (
       -- Windows older than the current one are never read again.
       DELETE FROM tenant.rate_limit_windows
       WHERE organization_id = ${org} AND api_key_id = ${key} AND window_start < date_trunc('minute', now())
     )
     SELECT request_count, ms_left FROM counted`,
    { asyncCommit: true },
  );
  const row = rows[0];
  if (!row) return null;
  return { count: row.request_count, msLeft: Math.max(1, row.ms_left) };
}
