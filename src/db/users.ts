import type { Role } from '../domain/index.js';
import type { Queryable } from './pool.js';

/** A signed-in person (tenant.users, migration 0030). */
export interface UserRecord {
  id: string;
  externalId: string;
  email: string | null;
  name: string | null;
  createdAt: Date;
  lastSeenAt: Date | null;
}

interface UserRow {
  id: string;
  external_id: string;
  email: string | null;
  name: string | null;
  created_at: Date;
  last_seen_at: Date | null;
}

const COLUMNS = 'id, external_id, email, name, created_at, last_seen_at';

function toUser(r: UserRow): UserRecord {
  return {
    id: r.id,
    externalId: r.external_id,
    email: r.email,
    name: r.name,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
  };
}

/** What a verified token says about its user. */
export interface SignInClaims {
  externalId: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/**
 * The user a verified token names, created on first sign-in, through the definer tenant.sign_in (no
 * organization is known yet): fills email and name where empty, stamps last_seen_at, and turns
 * invitations to a verified email into memberships. Returns the user's id.
 */
export async function signIn(db: Queryable, claims: SignInClaims): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT tenant.sign_in($1, $2, $3, $4) AS id', [
    claims.externalId,
    claims.email,
    claims.emailVerified,
    claims.name,
  ]);
  return rows[0]!.id;
}

/** How a user may act in one organization (tenant.user_access). */
export interface UserAccess {
  organizationId: string;
  organizationSlug: string;
  role: Role;
  /** The role comes from membership of the organization's agency. */
  viaAgency: boolean;
}

/** The user's role in the organization with this slug, directly or through its agency; null if none. */
export async function findUserAccess(
  db: Queryable,
  userId: string,
  slug: string,
): Promise<UserAccess | null> {
  const { rows } = await db.query<{
    organization_id: string;
    organization_slug: string;
    role: Role;
    via_agency: boolean;
  }>('SELECT * FROM tenant.user_access($1, $2)', [userId, slug]);
  const r = rows[0];
  return r
    ? {
        organizationId: r.organization_id,
        organizationSlug: r.organization_slug,
        role: r.role,
        viaAgency: r.via_agency,
      }
    : null;
}

/** One organization a user can act in (GET /v1/me). */
export interface UserOrganization extends UserAccess {
  organizationName: string;
  /** The agency's slug, for a client organization. */
  parentSlug: string | null;
}

export async function listUserOrganizations(db: Queryable, userId: string): Promise<UserOrganization[]> {
  const { rows } = await db.query<{
    organization_id: string;
    organization_slug: string;
    organization_name: string;
    parent_slug: string | null;
    role: Role;
    via_agency: boolean;
  }>('SELECT * FROM tenant.user_organizations($1) ORDER BY organization_slug', [userId]);
  return rows.map((r) => ({
    organizationId: r.organization_id,
    organizationSlug: r.organization_slug,
    organizationName: r.organization_name,
    parentSlug: r.parent_slug,
    role: r.role,
    viaAgency: r.via_agency,
  }));
}

/** The user row by id (visible to the user itself and to its organizations' transactions). */
export async function getUser(db: Queryable, userId: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM tenant.users WHERE id = $1`, [userId]);
  return rows[0] ? toUser(rows[0]) : null;
}

/**
 * The user with this external id, created if new (tenant.ensure_user: needs a member allowed to manage
 * members, or the login role's direct insert for operators).
 */
export async function ensureUserByExternalId(db: Queryable, externalId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>('SELECT tenant.ensure_user($1) AS id', [externalId]);
  return rows[0]!.id;
}

/** Operator path (login role): the user with this external id, created if new. */
export async function ensureUserAsOperator(db: Queryable, externalId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO tenant.users AS u (external_id) VALUES ($1)
     ON CONFLICT (external_id) DO UPDATE SET external_id = u.external_id RETURNING u.id`,
    [externalId],
  );
  return rows[0]!.id;
}

/** Operator path (login role): a user by external id or by id. */
export async function findUserAsOperator(db: Queryable, externalIdOrId: string): Promise<UserRecord | null> {
  const { rows } = await db.query<UserRow>(
    `SELECT ${COLUMNS} FROM tenant.users WHERE external_id = $1 OR id::text = lower($1) LIMIT 1`,
    [externalIdOrId],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** The signed-in user's own row, read with ingest.user_id set (the policy shows a user its own row). */
export async function getOwnUser(db: Queryable, userId: string): Promise<UserRecord | null> {
  await db.query(`SELECT set_config('ingest.user_id', $1, true)`, [userId]);
  return getUser(db, userId);
}
