import type pg from 'pg';
import { type ActivityEntry, type MemberContext, withTenant, withTransaction } from '../db/index.js';
import type { Role } from '../domain/index.js';

/**
 * Who changes an organization's people, keys or branding: a signed-in member acting with its role (its
 * transactions run as ingest_app with the role set, so row-level security checks it again), or an
 * operator through the CLI (the login role, no role table: operators manage every organization).
 */
export type PeopleAccess =
  | { kind: 'member'; member: MemberContext; apiKeyId?: undefined; clientAddress?: string }
  | { kind: 'operator'; name: string };

/** The role the access acts with; an operator acts as an owner would. */
export function accessRole(access: PeopleAccess): Role {
  return access.kind === 'member' ? access.member.role : 'owner';
}

/** Runs `fn` in one transaction for the organization, as the access demands. */
export function inOrganization<T>(
  pool: pg.Pool,
  access: PeopleAccess,
  organizationId: string,
  fn: (db: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return access.kind === 'member'
    ? withTenant(pool, organizationId, fn)
    : withTransaction(pool, { organization: organizationId }, fn);
}

/** The activity-log entry of a change made with `access`. */
export function peopleActivity(
  access: PeopleAccess,
  organizationId: string,
  entry: { action: string; targetType: string; targetId?: string | null; details?: Record<string, unknown> },
): ActivityEntry {
  return access.kind === 'member'
    ? {
        organizationId,
        actor: `user:${access.member.userId}`,
        userId: access.member.userId,
        clientAddress: access.clientAddress ?? null,
        ...entry,
      }
    : { organizationId, actor: access.name, ...entry };
}
