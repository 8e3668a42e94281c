import type pg from 'pg';
import type { MembershipCache } from '../cache-coherence/index.js';
import { findUserAccess, type SignInClaims, signIn, withAppRole } from '../db/index.js';
import { permissionsOf } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { type AuthFailures, throttledCheck } from './auth-failure-throttle.js';
import type { UserPrincipal } from './authenticate.js';
import type { SignInTokens } from './sign-in-tokens.js';

/** The header naming the organization a signed-in user's request acts in. */
export const ORGANIZATION_HEADER = 'x-ingest-organization';

/** What authenticating a user consults besides the database. */
export interface UserLookups {
  /** The provider's token verifier; absent when sign-in is not configured (INGEST_AUTH_ISSUER unset). */
  tokens: SignInTokens | undefined;
  /** Users' access per organization, kept coherent by the change feed (see MembershipCache). */
  memberships: MembershipCache<UserPrincipal>;
  /** Failed authentications per client address, and this request's address. */
  failures?: AuthFailures;
}

/**
 * Verifies a sign-in token (UNAUTHORIZED when invalid), counting a failure against the client address as
 * a wrong API key does (TOO_MANY_AUTH_FAILURES past the limit).
 */
export async function verifySignInToken(token: string, lookups: UserLookups): Promise<SignInClaims> {
  const { tokens, failures } = lookups;
  if (!tokens)
    throw new IngestError(
      'UNAUTHORIZED',
      'sign-in tokens are not accepted by this server (INGEST_AUTH_ISSUER is not set): use an API key (ik_...)',
    );
  return throttledCheck(failures, () => tokens.verify(token));
}

/** The organization a user's request names; ORG_REQUIRED without one. */
export function requestedOrganization(header: string | string[] | undefined): string {
  const slug = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!slug)
    throw new IngestError(
      'ORG_REQUIRED',
      'a signed-in request names its organization: X-Ingest-Organization: <slug> (GET /v1/me lists them)',
      { option: 'X-Ingest-Organization' },
    );
  return slug;
}

function orgNotFound(slug: string): IngestError {
  // Word for word what a missing organization answers: a non-member learns nothing of its existence.
  return new IngestError(
    'ORG_NOT_FOUND',
    `organization ${JSON.stringify(slug.slice(0, 63))} does not exist`,
    {
      organization: slug.slice(0, 63),
    },
  );
}

/**
 * The principal of a signed-in user acting in organization `slug`: its verified token, then its user row
 * (made on first sign-in, which also accepts its invitations) and its role there, directly or through
 * the organization's agency. From the membership cache when it holds them (one entry per token subject
 * and organization, dropped on any membership change). A user who is not a member gets ORG_NOT_FOUND,
 * exactly as for an organization that does not exist.
 */
export async function authenticateUser(
  pool: pg.Pool,
  token: string,
  organizationHeader: string | string[] | undefined,
  lookups: UserLookups,
): Promise<UserPrincipal> {
  // The token first: a request with a bad token is 401 whatever else it lacks.
  const claims = await verifySignInToken(token, lookups);
  const slug = requestedOrganization(organizationHeader);
  const key = `${claims.externalId}\n${slug}`;
  const cached = lookups.memberships.get(key);
  if (cached) return cached;
  const cacheToken = lookups.memberships.begin();
  const found = await withAppRole(pool, async (db) => {
    const userId = await signIn(db, claims);
    return {
      userId,
      access: /^[a-z0-9][a-z0-9_-]{0,62}$/.test(slug) ? await findUserAccess(db, userId, slug) : null,
    };
  });
  if (!found.access) throw orgNotFound(slug);
  const principal: UserPrincipal = {
    organizationId: found.access.organizationId,
    organizationSlug: found.access.organizationSlug,
    scopes: permissionsOf(found.access.role),
    user: {
      id: found.userId,
      externalId: claims.externalId,
      role: found.access.role,
      viaAgency: found.access.viaAgency,
    },
  };
  lookups.memberships.set(key, principal, cacheToken);
  return principal;
}

/** A signed-in user with no organization named (GET /v1/me): the verified token and the user's id. */
export async function signedInUser(
  pool: pg.Pool,
  token: string,
  lookups: UserLookups,
): Promise<{ userId: string; claims: SignInClaims }> {
  const claims = await verifySignInToken(token, lookups);
  const userId = await withAppRole(pool, (db) => signIn(db, claims));
  return { userId, claims };
}
