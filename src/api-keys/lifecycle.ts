import type pg from 'pg';
import {
  type ApiKeyRecord,
  findApiKeyOrganizationId,
  insertApiKey,
  logActivity,
  revokeApiKey,
  withTransaction,
} from '../db/index.js';
import { IngestError } from '../errors.js';
import { generateApiKey } from './key-format.js';
import type { Scope } from './scopes.js';

/**
 * Creates an API key for an organization, with its activity-log entry, in one transaction as the login
 * role: choosing a key's scopes and rate limit is an operator's action, which ingest_app may not do
 * (migration 0010). Returns the stored record and the whole key: the only time the secret exists
 * outside the caller.
 */
export async function createApiKey(
  pool: pg.Pool,
  input: {
    organizationId: string;
    scopes: readonly Scope[];
    name?: string;
    rateLimitPerMinute?: number;
    actor: string;
  },
): Promise<{ record: ApiKeyRecord; key: string }> {
  const generated = generateApiKey();
  const record = await withTransaction(pool, { organization: input.organizationId }, async (db) => {
    const stored = await insertApiKey(db, {
      organizationId: input.organizationId,
      name: input.name ?? '',
      prefix: generated.prefix,
      secretSha256: generated.secretSha256,
      scopes: [...input.scopes],
      ...(input.rateLimitPerMinute !== undefined && { rateLimitPerMinute: input.rateLimitPerMinute }),
    });
    await logActivity(db, {
      organizationId: input.organizationId,
      actor: input.actor,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: stored.id,
      details: { name: stored.name, prefix: stored.prefix, scopes: stored.scopes },
    });
    return stored;
  });
  return { record, key: generated.key };
}

/**
 * Revokes a key by id (any organization: an operator action, as the login role), logging it;
 * KEY_NOT_FOUND if unknown.
 */
export async function revokeApiKeyById(pool: pg.Pool, keyId: string, actor: string): Promise<ApiKeyRecord> {
  const organizationId = await findApiKeyOrganizationId(pool, keyId);
  const revoked = organizationId
    ? await withTransaction(pool, { organization: organizationId }, async (db) => {
        const key = await revokeApiKey(db, keyId);
        if (key) {
          await logActivity(db, {
            organizationId,
            actor,
            action: 'api_key.revoke',
            targetType: 'api_key',
            targetId: key.id,
            details: { prefix: key.prefix },
          });
        }
        return key;
      })
    : null;
  if (!revoked) throw new IngestError('KEY_NOT_FOUND', `no API key ${keyId}`, { keyId });
  return revoked;
}
