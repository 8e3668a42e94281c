import type pg from 'pg';
import { generateApiKey, type Scope } from '../api-keys/index.js';
import {
  type ApiKeyRecord,
  getApiKey,
  insertMemberApiKey,
  listApiKeys,
  logActivity,
  revokeMemberApiKey,
  withTenant,
} from '../db/index.js';
import { IngestError } from '../errors.js';
import { type PeopleAccess, peopleActivity } from './access.js';

/**
 * API keys managed by an organization's admins over HTTP (GET/POST/DELETE /v1/keys). A key made here is
 * the same service credential as one from `ingest key create`: bound to the organization, with scopes.
 * Each runs in the member's tenant transaction; the definer functions of migration 0030 check the role
 * again (ingest_app itself may not insert or revoke keys).
 */

export async function listMemberKeys(pool: pg.Pool, organizationId: string): Promise<ApiKeyRecord[]> {
  return withTenant(pool, organizationId, (db) => listApiKeys(db));
}

export async function createMemberKey(
  pool: pg.Pool,
  access: Extract<PeopleAccess, { kind: 'member' }>,
  organizationId: string,
  input: { scopes: readonly Scope[]; name: string; rateLimitPerMinute?: number },
  maxKeys: number,
): Promise<{ record: ApiKeyRecord; key: string }> {
  const generated = generateApiKey();
  return withTenant(pool, organizationId, async (db) => {
    const created = await insertMemberApiKey(db, {
      name: input.name,
      prefix: generated.prefix,
      secretSha256: generated.secretSha256,
      scopes: [...input.scopes],
      rateLimitPerMinute: input.rateLimitPerMinute ?? null,
      maxKeys,
    });
    if (created.outcome === 'limit')
      throw new IngestError(
        'TOO_MANY_KEYS',
        `the organization has ${maxKeys} unrevoked API keys, the most allowed (INGEST_MAX_API_KEYS)`,
        { limit: maxKeys },
      );
    if (created.outcome !== 'created')
      throw new IngestError('FORBIDDEN', `a ${access.member.role} cannot manage API keys`, {
        role: access.member.role,
      });
    const record = (await getApiKey(db, created.id))!;
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: record.id,
        details: { name: record.name, prefix: record.prefix, scopes: record.scopes },
      }),
    );
    return { record, key: generated.key };
  });
}

export async function revokeMemberKey(
  pool: pg.Pool,
  access: Extract<PeopleAccess, { kind: 'member' }>,
  organizationId: string,
  keyId: string,
): Promise<ApiKeyRecord> {
  return withTenant(pool, organizationId, async (db) => {
    const revoked = await revokeMemberApiKey(db, keyId);
    const record = revoked ? await getApiKey(db, keyId) : null;
    if (!record)
      throw new IngestError('KEY_NOT_FOUND', `no API key ${keyId.slice(0, 64)}`, {
        keyId: keyId.slice(0, 64),
      });
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'api_key.revoke',
        targetType: 'api_key',
        targetId: record.id,
        details: { prefix: record.prefix },
      }),
    );
    return record;
  });
}
