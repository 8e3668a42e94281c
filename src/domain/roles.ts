/**
 * Who may do what in an organization: the one table of roles and permissions. The server checks it per
 * endpoint; migration 0030 encodes the same table in SQL (tenant.role_rank, tenant.permission_rank) for
 * the row-level security policies, and a test compares the two cell by cell. The README's "Users and
 * roles" table is printed from ROLE_TABLE (a test compares that too).
 */

/** Roles, weakest first: each role may do everything the roles before it may. */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a caller may do. The first three are also API key scopes, and mean the same for a key as for a
 * role: a key's scopes are its permissions (src/api-keys/scopes.ts).
 */
export const PERMISSIONS = [
  'files:read',
  'files:write',
  'files:delete',
  'keys:manage',
  'members:manage',
  'clients:create',
  'owners:manage',
  'organization:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** One row of the role table: what it allows, in words, the permissions behind it, and the weakest role. */
export interface RoleTableRow {
  action: string;
  permissions: readonly Permission[];
  minimumRole: Role;
}

export const ROLE_TABLE: readonly RoleTableRow[] = [
  {
    action: 'read files, rows, metrics, audits, usage',
    permissions: ['files:read'],
    minimumRole: 'viewer',
  },
  {
    action: 'upload, import, create audits',
    permissions: ['files:write'],
    minimumRole: 'member',
  },
  {
    action: 'delete files, manage API keys, invite members (up to admin)',
    // An agency's admins also create its client organizations.
    permissions: ['files:delete', 'keys:manage', 'members:manage', 'clients:create'],
    minimumRole: 'admin',
  },
  {
    action: 'change quota, branding, roles of admins/owners, delete the organization',
    permissions: ['owners:manage', 'organization:manage'],
    minimumRole: 'owner',
  },
];

/** The weakest role allowed each permission, from ROLE_TABLE. */
export const PERMISSION_MINIMUM_ROLE: Readonly<Record<Permission, Role>> = Object.fromEntries(
  ROLE_TABLE.flatMap((row) => row.permissions.map((p) => [p, row.minimumRole])),
) as Record<Permission, Role>;

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** Whether `role` may do `permission`. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return roleRank(role) >= roleRank(PERMISSION_MINIMUM_ROLE[permission]);
}

/** Every permission of a role. */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => roleAllows(role, p));
}

/**
 * Whether a member with `actor` role may give a membership the role `granted`: admins invite up to admin,
 * only owners make owners.
 */
export function mayGrantRole(actor: Role, granted: Role): boolean {
  return (
    roleAllows(actor, 'members:manage') &&
    (roleRank(granted) <= roleRank('admin') || roleAllows(actor, 'owners:manage'))
  );
}

/**
 * Whether a member with `actor` role may change or remove a membership whose role is `current`: admins
 * manage viewers and members, only owners manage admins and owners.
 */
export function mayChangeMember(actor: Role, current: Role): boolean {
  return (
    roleAllows(actor, 'members:manage') &&
    (roleRank(current) < roleRank('admin') || roleAllows(actor, 'owners:manage'))
  );
}

/** The role an agency member acts with in the agency's client organizations: owning a client is explicit. */
export const AGENCY_ROLE_CAP: Role = 'admin';

export function agencyRoleInClient(agencyRole: Role): Role {
  return roleRank(agencyRole) > roleRank(AGENCY_ROLE_CAP) ? AGENCY_ROLE_CAP : agencyRole;
}
