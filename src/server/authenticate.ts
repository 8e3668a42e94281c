import type pg from 'pg';
import { hashSecret, parseApiKey, type Scope, secretMatches } from '../api-keys/index.js';
import type { AuthCache, UnknownKeyCache } from '../cache-coherence/index.js';
import { findApiKeyByPrefix, withAppRole } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { AuthFailureThrottle } from './auth-failure-throttle.js';

/** Who a request acts for: the organization and API key it authenticated with. */
export interface Principal {
  apiKeyId: string;
  organizationId: string;
  organizationSlug: string;
  scopes: readonly string[];
  rateLimitPerMinute: number;
}

// Compared against when the prefix is unknown, so an unknown key costs the same as a wrong secret.
const NO_KEY_HASH = hashSecret('no such key');

/** What authentication consults besides the database; each is optional. */
export interface KeyLookups {
  /** Keys verified recently (see AuthCache). */
  cache?: AuthCache<Principal>;
  /** Prefixes found unknown recently (see UnknownKeyCache). */
  unknown?: UnknownKeyCache;
  /** Failed authentications per client address, and this request's address. */
  failures?: { throttle: AuthFailureThrottle; address: string };
}

/**
 * Authenticates `Authorization: Bearer ik_<prefix>_<secret>`, from `lookups.cache` when the key
 * verified recently (see AuthCache). Otherwise the key is looked up, unless its client address failed
 * too often (TOO_MANY_AUTH_FAILURES, see AuthFailureThrottle) or its prefix was found unknown moments
 * ago (see UnknownKeyCache). Missing, malformed, unknown and wrong keys are all UNAUTHORIZED; only a
 * key whose secret matched learns that it was revoked.
 */
export async function authenticate(
  pool: pg.Pool,
  authorization: string | undefined,
  lookups: KeyLookups = {},
): Promise<Principal> {
  const parsed = parseAuthorization(authorization);
  const { cache, failures } = lookups;
  const cached = cache && cachedPrincipal(parsed, cache);
  if (cached) return cached;
  failures?.throttle.acquire(failures.address);
  try {
    const principal = await lookUp(pool, parsed, lookups);
    failures?.throttle.release(failures.address);
    return principal;
  } catch (err) {
    // Only the client's failures count against its address, not the database's.
    if (!(err instanceof IngestError && err.code === 'UNAUTHORIZED'))
      failures?.throttle.release(failures.address);
    throw err;
  }
}

async function lookUp(
  pool: pg.Pool,
  parsed: { prefix: string; secret: string },
  { cache, unknown }: KeyLookups,
): Promise<Principal> {
  if (unknown?.has(parsed.prefix)) throw new IngestError('UNAUTHORIZED', 'invalid API key');
  const token = cache?.begin();
  const unknownToken = unknown?.begin() ?? null;
  const found = await withAppRole(pool, (db) => findApiKeyByPrefix(db, parsed.prefix));
  if (!found) unknown?.add(parsed.prefix, unknownToken);
  const matches = secretMatches(parsed.secret, found?.secretSha256 ?? NO_KEY_HASH);
  if (!found || !matches) throw new IngestError('UNAUTHORIZED', 'invalid API key');
  if (found.revokedAt) throw new IngestError('UNAUTHORIZED', 'this API key has been revoked');
  const principal: Principal = {
    apiKeyId: found.id,
    organizationId: found.organizationId,
    organizationSlug: found.organizationSlug,
    scopes: found.scopes,
    rateLimitPerMinute: found.rateLimitPerMinute,
  };
  if (token !== undefined) cache?.set(parsed.prefix, found.secretSha256, principal, token);
  return principal;
}

/** The key of `Authorization: Bearer <key>`, split; UNAUTHORIZED when missing or malformed. */
export function parseAuthorization(authorization: string | undefined): { prefix: string; secret: string } {
  if (!authorization) {
    throw new IngestError('UNAUTHORIZED', 'an API key is required: Authorization: Bearer <key>');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const parsed = match ? parseApiKey(match[1]!) : null;
  if (!parsed) {
    throw new IngestError(
      'UNAUTHORIZED',
      'malformed API key: expected Authorization: Bearer ik_<prefix>_<secret>',
    );
  }
  return parsed;
}

/** The principal of a key `cache` holds whose secret matches; undefined otherwise (ask the database). */
export function cachedPrincipal(
  key: { prefix: string; secret: string },
  cache: AuthCache<Principal>,
): Principal | undefined {
  const cached = cache.get(key.prefix);
  return cached && secretMatches(key.secret, cached.secretSha256) ? cached.principal : undefined;
}

/** FORBIDDEN unless the key carries `scope`. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (!principal.scopes.includes(scope)) {
    throw new IngestError('FORBIDDEN', `this API key lacks the scope ${scope}`, { scope });
  }
}
