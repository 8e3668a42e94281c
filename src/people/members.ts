import type pg from 'pg';
import {
  countMemberships,
  deleteInvitation,
  deleteMembership,
  ensureUserAsOperator,
  ensureUserByExternalId,
  findInvitationRole,
  findMembershipRole,
  type InvitationRecord,
  insertMembership,
  listInvitations,
  listMembers,
  lockMemberships,
  logActivity,
  type MemberRecord,
  type Queryable,
  updateMembershipRole,
  upsertInvitation,
} from '../db/index.js';
import { mayChangeMember, mayGrantRole, type Role } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';
import { accessRole, inOrganization, type PeopleAccess, peopleActivity } from './access.js';

/** Bounds on an organization's people (INGEST_MAX_MEMBERS, INGEST_MAX_INVITATIONS). */
export interface MemberLimits {
  maxMembers: number;
  maxInvitations: number;
}

/** Who to add: a person by the email they will sign in with, or by the provider's user id. */
export type MemberInvitee =
  | { email: string; externalId?: undefined }
  | { externalId: string; email?: undefined };

/** What adding someone did. */
export type MemberAdded =
  | { status: 'member'; userId: string; role: Role; created: boolean }
  | { status: 'invited'; email: string; role: Role };

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** An email as invitations store it: trimmed, lower case, checked for one `@` and no spaces. */
export function normalizeEmail(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!EMAIL.test(normalized) || normalized.length > 320)
    throw new IngestError('INVALID_OPTION', `not an email address: ${JSON.stringify(email.slice(0, 100))}`, {
      option: 'email',
    });
  return normalized;
}

function forbidden(message: string, role: Role): IngestError {
  return new IngestError('FORBIDDEN', message, { role });
}

function memberNotFound(who: string): IngestError {
  return new IngestError('MEMBER_NOT_FOUND', `no member or invitation ${who.slice(0, 320)}`, {
    member: who.slice(0, 320),
  });
}

/**
 * Adds a person to the organization with `role`: by external id, a membership at once (the user row is
 * made if the person never signed in; their first sign-in fills email and name); by email, an invitation
 * that becomes a membership at the first sign-in whose verified email matches. Admins add up to admin,
 * owners any role. Bounded by INGEST_MAX_MEMBERS and INGEST_MAX_INVITATIONS.
 */
export async function addMember(
  pool: pg.Pool,
  access: PeopleAccess,
  organizationId: string,
  invitee: MemberInvitee,
  role: Role,
  limits: MemberLimits,
): Promise<MemberAdded> {
  if (!mayGrantRole(accessRole(access), role))
    throw forbidden(`a ${accessRole(access)} cannot give the role ${role}`, accessRole(access));
  const email = invitee.email !== undefined ? normalizeEmail(invitee.email) : undefined;
  return inOrganization(pool, access, organizationId, async (db) => {
    await lockMemberships(db, organizationId);
    const counts = await countMemberships(db, organizationId);
    if (email !== undefined) {
      const existing = await findInvitationRole(db, organizationId, email);
      if (existing === null && counts.invitations >= limits.maxInvitations)
        throw new IngestError(
          'TOO_MANY_INVITATIONS',
          `the organization has ${counts.invitations} pending invitations, the most allowed (INGEST_MAX_INVITATIONS)`,
          { limit: limits.maxInvitations },
        );
      if (existing !== null && !mayChangeMember(accessRole(access), existing))
        throw forbidden(
          `a ${accessRole(access)} cannot change an invitation as ${existing}`,
          accessRole(access),
        );
      await upsertInvitation(db, {
        organizationId,
        email,
        role,
        invitedBy: access.kind === 'member' ? access.member.userId : null,
      });
      await logActivity(
        db,
        peopleActivity(access, organizationId, {
          action: 'member.invite',
          targetType: 'invitation',
          targetId: email,
          details: { email, role },
        }),
      );
      return { status: 'invited', email, role };
    }
    const externalId = invitee.externalId!.trim();
    if (externalId === '' || externalId.length > 255)
      throw new IngestError('INVALID_OPTION', 'an external id is 1-255 characters', { option: 'externalId' });
    if (counts.members >= limits.maxMembers)
      throw new IngestError(
        'TOO_MANY_MEMBERS',
        `the organization has ${counts.members} members, the most allowed (INGEST_MAX_MEMBERS)`,
        { limit: limits.maxMembers },
      );
    const userId =
      access.kind === 'member'
        ? await ensureUserByExternalId(db, externalId)
        : await ensureUserAsOperator(db, externalId);
    const created = await insertMembership(db, organizationId, userId, role);
    if (!created) {
      const current = (await findMembershipRole(db, organizationId, userId))!;
      return { status: 'member', userId, role: current, created: false };
    }
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'member.add',
        targetType: 'member',
        targetId: userId,
        details: { externalId, role },
      }),
    );
    return { status: 'member', userId, role, created: true };
  });
}

/** Refuses a change that leaves no owner (LAST_OWNER). */
async function keepAnOwner(
  db: Queryable,
  organizationId: string,
  current: Role,
  next: Role | null,
): Promise<void> {
  if (current !== 'owner' || next === 'owner') return;
  const { owners } = await countMemberships(db, organizationId);
  if (owners <= 1)
    throw new IngestError(
      'LAST_OWNER',
      'the organization would be left without an owner: make another owner first',
      {},
    );
}

/** Changes a member's role: admins between viewer, member and admin for viewers and members; owners any. */
export async function changeMemberRole(
  pool: pg.Pool,
  access: PeopleAccess,
  organizationId: string,
  userId: string,
  role: Role,
): Promise<{ userId: string; role: Role; previousRole: Role }> {
  if (!isUuid(userId)) throw memberNotFound(userId);
  return inOrganization(pool, access, organizationId, async (db) => {
    await lockMemberships(db, organizationId);
    const current = await findMembershipRole(db, organizationId, userId);
    if (current === null) throw memberNotFound(userId);
    const actor = accessRole(access);
    if (!mayChangeMember(actor, current) || !mayGrantRole(actor, role))
      throw forbidden(`a ${actor} cannot change a ${current} into a ${role}`, actor);
    await keepAnOwner(db, organizationId, current, role);
    await updateMembershipRole(db, organizationId, userId, role);
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'member.role',
        targetType: 'member',
        targetId: userId,
        details: { from: current, to: role },
      }),
    );
    return { userId, role, previousRole: current };
  });
}

/**
 * Removes a member (by user id) or a pending invitation (by email). The member's next request, on any
 * server, is refused (the membership cache drops on the change notification).
 */
export async function removeMember(
  pool: pg.Pool,
  access: PeopleAccess,
  organizationId: string,
  who: string,
): Promise<{ removed: 'member' | 'invitation'; userId?: string; email?: string }> {
  const actor = accessRole(access);
  if (isUuid(who)) {
    const userId = who.toLowerCase();
    return inOrganization(pool, access, organizationId, async (db) => {
      await lockMemberships(db, organizationId);
      const current = await findMembershipRole(db, organizationId, userId);
      if (current === null) throw memberNotFound(who);
      if (!mayChangeMember(actor, current)) throw forbidden(`a ${actor} cannot remove a ${current}`, actor);
      await keepAnOwner(db, organizationId, current, null);
      await deleteMembership(db, organizationId, userId);
      await logActivity(
        db,
        peopleActivity(access, organizationId, {
          action: 'member.remove',
          targetType: 'member',
          targetId: userId,
          details: { role: current },
        }),
      );
      return { removed: 'member' as const, userId };
    });
  }
  const email = normalizeEmail(who);
  return inOrganization(pool, access, organizationId, async (db) => {
    const current = await findInvitationRole(db, organizationId, email);
    if (current === null) throw memberNotFound(who);
    if (!mayChangeMember(actor, current))
      throw forbidden(`a ${actor} cannot withdraw an invitation as ${current}`, actor);
    await deleteInvitation(db, organizationId, email);
    await logActivity(
      db,
      peopleActivity(access, organizationId, {
        action: 'member.uninvite',
        targetType: 'invitation',
        targetId: email,
        details: { role: current },
      }),
    );
    return { removed: 'invitation' as const, email };
  });
}

/** The organization's members and pending invitations. */
export async function listMembership(
  pool: pg.Pool,
  access: PeopleAccess,
  organizationId: string,
): Promise<{ members: MemberRecord[]; invitations: InvitationRecord[] }> {
  return inOrganization(pool, access, organizationId, async (db) => ({
    members: await listMembers(db, organizationId),
    invitations: await listInvitations(db, organizationId),
  }));
}
