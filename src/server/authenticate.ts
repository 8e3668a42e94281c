import type pg from 'pg';
import { hashSecret, parseApiKey, secretMatches } from '../api-keys/index.js';
import type { AuthCache, UnknownKeyCache } from '../cache-coherence/index.js';
import { findApiKeyByPrefix, withAppRole } from '../db/index.js';
import { type Permission, type Role, roleAllows } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { type AuthFailures, throttledCheck } from './auth-failure-throttle.js';

/** A request that authenticated with an API key: the key's organization, scopes and limit. */
export interface KeyPrincipal {
  apiKeyId: string;
  organizationId: string;
  organizationSlug: string;
  scopes: readonly string[];
  rateLimitPerMinute: number;
  user?: undefined;
}

/** A signed-in user acting in the organization its request named, with the role it has there. */
export interface SignedInMember {
  id: string;
  externalId: string;
  role: Role;
  /** The role comes from membership of the organization's agency (capped at admin). */
  viaAgency: boolean;
}

/** A request of a signed-in user: the organization of X-Ingest-Organization and the user's role in it. */
export interface UserPrincipal {
  apiKeyId?: undefined;
  organizationId: string;
  organizationSlug: string;
  /** The permissions of the user's role (src/domain/roles.ts). */
  scopes: readonly Permission[];
  user: SignedInMember;
}

/** Who a request acts for. */
export type Principal = KeyPrincipal | UserPrincipal;

// Compared against when the prefix is unknown, so an unknown key costs the same as a wrong secret.
const NO_KEY_HASH = hashSecret('no such key');

/** What authentication consults besides the database; each is optional. */
export interface KeyLookups {
  /** Keys verified recently (see AuthCache). */
  cache?: AuthCache<KeyPrincipal>;
  /** Prefixes found unknown recently (see UnknownKeyCache). */
  unknown?: UnknownKeyCache;
  /** Failed authentications per client address, and this request's address. */
  failures?: AuthFailures;
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
): Promise<KeyPrincipal> {
  const parsed = parseAuthorization(authorization);
  const { cache, failures } = lookups;
  const cached = cache && cachedPrincipal(parsed, cache);
  if (cached) return cached;
  return throttledCheck(failures, () => lookUp(pool, parsed, lookups));
}

async function lookUp(
  pool: pg.Pool,
  parsed: { prefix: string; secret: string },
  { cache, unknown }: KeyLookups,
): Promise<KeyPrincipal> {
  if (unknown?.has(parsed.prefix)) throw new IngestError('UNAUTHORIZED', 'invalid API key');
  const token = cache?.begin();
  const unknownToken = unknown?.begin() ?? null;
  const found = await withAppRole(pool, (db) => findApiKeyByPrefix(db, parsed.prefix));
  if (!found) unknown?.add(parsed.prefix, unknownToken);
  const matches = secretMatches(parsed.secret, found?.secretSha256 ?? NO_KEY_HASH);
  if (!found || !matches) throw new IngestError('UNAUTHORIZED', 'invalid API key');
  if (found.revokedAt) throw new IngestError('UNAUTHORIZED', 'this API key has been revoked');
  const principal: KeyPrincipal = {
    apiKeyId: found.id,
    organizationId: found.organizationId,
    organizationSlug: found.organizationSlug,
    scopes: found.scopes,
    rateLimitPerMinute: found.rateLimitPerMinute,
  };
  if (token !== undefined) cache?.set(parsed.prefix, found.secretSha256, principal, token);
  return principal;
}

/** What `Authorization: Bearer <credential>` carries: an API key (`ik_...`) or a sign-in token. */
export type Credential = { kind: 'key'; prefix: string; secret: string } | { kind: 'token'; token: string };

/**
 * The credential of the Authorization header. Anything starting with `ik_` is an API key, parsed exactly
 * as before users existed; anything else is a sign-in token for the identity provider. UNAUTHORIZED when
 * missing or not a Bearer credential.
 */
export function parseCredential(authorization: string | undefined): Credential {
  if (!authorization) {
    throw new IngestError('UNAUTHORIZED', 'an API key is required: Authorization: Bearer <key>');
  }
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  if (token !== undefined && !token.startsWith('ik_')) return { kind: 'token', token };
  return { kind: 'key', ...parseAuthorization(authorization) };
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
  cache: AuthCache<KeyPrincipal>,
): KeyPrincipal | undefined {
  const cached = cache.get(key.prefix);
  return cached && secretMatches(key.secret, cached.secretSha256) ? cached.principal : undefined;
}

/**
 * FORBIDDEN unless the caller may do `permission`: a key when it carries that scope (a key has no other
 * permissions than its scopes), a user when its role allows it (src/domain/roles.ts).
 */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (principal.user) {
    if (!roleAllows(principal.user.role, permission))
      throw new IngestError('FORBIDDEN', `the role ${principal.user.role} does not allow ${permission}`, {
        permission,
        role: principal.user.role,
      });
    return;
  }
  if (!principal.scopes.includes(permission)) {
    throw new IngestError('FORBIDDEN', `this API key lacks the scope ${permission}`, { scope: permission });
  }
}
