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

/** What one count of a key's requests granted (see countKeyRequests). */
export interface CountedRequests {
  /** Requests of this count within the key's limit, 0 to `requests`. */
  granted: number;
  /** 0 when all were granted; otherwise milliseconds until one more request fits the window. */
  retryAfterMs: number;
}

/**
 * Counts `requests` requests of a key against its sliding window and records the key as used, in one
 * round trip of its own tenant transaction (see tenantStatement), through tenant.count_api_key_requests
 * (migration 0011, where the window and its guarantee are described). The window lives in PostgreSQL
 * so every server process shares it. Returns how many were granted, or null when the key was revoked
 * (or deleted) meanwhile.
 *
 * Every count of a key locks the key's row, so how long that lock is held bounds how often a key can
 * be counted: one statement, committed in the same round trip and without waiting for the WAL flush (a
 * count lost in a crash is harmless).
 */
export async function countKeyRequests(
  pool: pg.Pool,
  organizationId: string,
  keyId: string,
  requests: number,
): Promise<CountedRequests | null> {
  if (!Number.isSafeInteger(requests) || requests < 1 || requests > 2 ** 31 - 1)
    throw new Error(`requests must be a positive integer, got ${requests}`);
  const rows = await tenantStatement<{ granted: number; retry_after_ms: number }>(
    pool,
    organizationId,
    `SELECT granted, retry_after_ms FROM tenant.count_api_key_requests(${uuidLiteral(keyId)}, ${requests})`,
    { asyncCommit: true },
  );
  const row = rows[0];
  if (!row) return null;
  return { granted: row.granted, retryAfterMs: row.retry_after_ms };
}

/** What tenant.create_member_api_key did. */
export type MemberKeyCreation = { outcome: 'created'; id: string } | { outcome: 'limit' | 'denied' };

/**
 * Stores a key made by a member allowed to manage keys, in the current organization, through the definer
 * tenant.create_member_api_key (ingest_app may not insert keys itself), at most `maxKeys` unrevoked keys.
 */
export async function insertMemberApiKey(
  db: Queryable,
  input: {
    name: string;
    prefix: string;
    secretSha256: Buffer;
    scopes: string[];
    rateLimitPerMinute: number | null;
    maxKeys: number;
  },
): Promise<MemberKeyCreation> {
  const { rows } = await db.query<{ id: string | null; outcome: 'created' | 'limit' | 'denied' }>(
    'SELECT * FROM tenant.create_member_api_key($1, $2, $3, $4, $5, $6)',
    [input.name, input.prefix, input.secretSha256, input.scopes, input.rateLimitPerMinute, input.maxKeys],
  );
  const r = rows[0]!;
  return r.outcome === 'created' ? { outcome: 'created', id: r.id! } : { outcome: r.outcome };
}

/** Revokes a key of the current organization as a member allowed to manage keys; false if unknown. */
export async function revokeMemberApiKey(db: Queryable, keyId: string): Promise<boolean> {
  if (!isUuid(keyId)) return false;
  const { rows } = await db.query<{ ok: boolean }>('SELECT tenant.revoke_member_api_key($1) AS ok', [keyId]);
  return rows[0]?.ok === true;
}

/** A key of the current organization by id (RLS), or null. */
export async function getApiKey(db: Queryable, keyId: string): Promise<ApiKeyRecord | null> {
  if (!isUuid(keyId)) return null;
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM tenant.api_keys WHERE id = $1`, [keyId]);
  return rows[0] ? toApiKey(rows[0]) : null;
}
