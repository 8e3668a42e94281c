import type { Role } from '../domain/index.js';
import type { Queryable } from './pool.js';

// Memberships and invitations (migration 0030). Each statement names the organization, so the same
// statement serves a member's tenant transaction (where row-level security also holds it to the role
// table) and an operator's transaction as the login role.

/** A member of an organization: the membership with its user. */
export interface MemberRecord {
  userId: string;
  externalId: string;
  email: string | null;
  name: string | null;
  role: Role;
  createdAt: Date;
}

/** An invitation by email, waiting for the first sign-in with that email. */
export interface InvitationRecord {
  email: string;
  role: Role;
  invitedBy: string | null;
  createdAt: Date;
}

/** Serializes membership changes of one organization (limits and the last owner are counted under it). */
export async function lockMemberships(db: Queryable, organizationId: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('ingest members ' || $1::text, 0))`, [
    organizationId,
  ]);
}

export async function listMembers(db: Queryable, organizationId: string): Promise<MemberRecord[]> {
  const { rows } = await db.query<{
    user_id: string;
    external_id: string;
    email: string | null;
    name: string | null;
    role: Role;
    created_at: Date;
  }>(
    `SELECT m.user_id, u.external_id, u.email, u.name, m.role, m.created_at
     FROM tenant.memberships m JOIN tenant.users u ON u.id = m.user_id
     WHERE m.organization_id = $1 ORDER BY m.created_at, m.user_id`,
    [organizationId],
  );
  return rows.map((r) => ({
    userId: r.user_id,
    externalId: r.external_id,
    email: r.email,
    name: r.name,
    role: r.role,
    createdAt: r.created_at,
  }));
}

export async function listInvitations(db: Queryable, organizationId: string): Promise<InvitationRecord[]> {
  const { rows } = await db.query<{ email: string; role: Role; invited_by: string | null; created_at: Date }>(
    `SELECT email, role, invited_by, created_at FROM tenant.invitations
     WHERE organization_id = $1 ORDER BY created_at, email`,
    [organizationId],
  );
  return rows.map((r) => ({
    email: r.email,
    role: r.role,
    invitedBy: r.invited_by,
    createdAt: r.created_at,
  }));
}

/** The user's role in the organization (its own membership, not an agency's), or null. */
export async function findMembershipRole(
  db: Queryable,
  organizationId: string,
  userId: string,
): Promise<Role | null> {
  const { rows } = await db.query<{ role: Role }>(
    'SELECT role FROM tenant.memberships WHERE organization_id = $1 AND user_id = $2',
    [organizationId, userId],
  );
  return rows[0]?.role ?? null;
}

/** Adds a membership; false when the user already is a member (its role is left as it was). */
export async function insertMembership(
  db: Queryable,
  organizationId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO tenant.memberships (organization_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (organization_id, user_id) DO NOTHING`,
    [organizationId, userId, role],
  );
  return rowCount === 1;
}

/** Changes a member's role; false when there is no such membership (or row-level security hid it). */
export async function updateMembershipRole(
  db: Queryable,
  organizationId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE tenant.memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2',
    [organizationId, userId, role],
  );
  return rowCount === 1;
}

export async function deleteMembership(
  db: Queryable,
  organizationId: string,
  userId: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM tenant.memberships WHERE organization_id = $1 AND user_id = $2',
    [organizationId, userId],
  );
  return rowCount === 1;
}

/** Invites an email (lower case) with a role; inviting it again replaces the role. */
export async function upsertInvitation(
  db: Queryable,
  input: { organizationId: string; email: string; role: Role; invitedBy: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO tenant.invitations AS i (organization_id, email, role, invited_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (organization_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by`,
    [input.organizationId, input.email, input.role, input.invitedBy],
  );
}

export async function findInvitationRole(
  db: Queryable,
  organizationId: string,
  email: string,
): Promise<Role | null> {
  const { rows } = await db.query<{ role: Role }>(
    'SELECT role FROM tenant.invitations WHERE organization_id = $1 AND email = $2',
    [organizationId, email],
  );
  return rows[0]?.role ?? null;
}

export async function deleteInvitation(
  db: Queryable,
  organizationId: string,
  email: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM tenant.invitations WHERE organization_id = $1 AND email = $2',
    [organizationId, email],
  );
  return rowCount === 1;
}

/** Members, owners among them, and pending invitations of an organization. */
export async function countMemberships(
  db: Queryable,
  organizationId: string,
): Promise<{ members: number; owners: number; invitations: number }> {
  const { rows } = await db.query<{ members: number; owners: number; invitations: number }>(
    `SELECT (SELECT count(*)::int FROM tenant.memberships WHERE organization_id = $1) AS members,
            (SELECT count(*)::int FROM tenant.memberships WHERE organization_id = $1 AND role = 'owner') AS owners,
            (SELECT count(*)::int FROM tenant.invitations WHERE organization_id = $1) AS invitations`,
    [organizationId],
  );
  return rows[0]!;
}
