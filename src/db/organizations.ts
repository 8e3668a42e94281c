import { IngestError } from '../errors.js';
import type { Queryable } from './pool.js';

export interface Organization {
  id: string;
  slug: string;
  name: string;
  storageQuotaBytes: number | null;
  createdAt: Date;
}

interface OrganizationRow {
  id: string;
  slug: string;
  name: string;
  storage_quota_bytes: string | null;
  created_at: Date;
}

const COLUMNS = 'id, slug, name, storage_quota_bytes, created_at';

function toOrganization(row: OrganizationRow): Organization {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    storageQuotaBytes: row.storage_quota_bytes === null ? null : Number(row.storage_quota_bytes),
    createdAt: row.created_at,
  };
}

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Slugs are lowercase letters, digits, `-` and `_`, up to 63 characters. */
export function validateSlug(slug: string): string {
  if (!SLUG.test(slug)) {
    throw new IngestError(
      'INVALID_OPTION',
      `organization slug must be 1-63 lowercase letters, digits, '-' or '_' (starting with a letter or digit), got ${JSON.stringify(slug)}`,
      { option: 'org' },
    );
  }
  return slug;
}

// Organizations are managed by operators: these run as the login role, not under a tenant context.

async function findOrganization(db: Queryable, slug: string): Promise<Organization | null> {
  const { rows } = await db.query<OrganizationRow>(
    `SELECT ${COLUMNS} FROM tenant.organizations WHERE slug = $1`,
    [slug],
  );
  return rows[0] ? toOrganization(rows[0]) : null;
}

export async function getOrganization(db: Queryable, slug: string): Promise<Organization> {
  const org = await findOrganization(db, slug);
  if (!org)
    throw new IngestError('ORG_NOT_FOUND', `organization ${JSON.stringify(slug)} does not exist`, {
      organization: slug,
    });
  return org;
}

export async function getOrganizationById(db: Queryable, id: string): Promise<Organization | null> {
  const { rows } = await db.query<OrganizationRow>(
    `SELECT ${COLUMNS} FROM tenant.organizations WHERE id = $1`,
    [id],
  );
  return rows[0] ? toOrganization(rows[0]) : null;
}

export async function createOrganization(
  db: Queryable,
  input: { slug: string; name?: string; storageQuotaBytes?: number | null; parentId?: string | null },
): Promise<Organization> {
  validateSlug(input.slug);
  const { rows } = await db.query<OrganizationRow>(
    `INSERT INTO tenant.organizations (slug, name, storage_quota_bytes, parent_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`,
    [input.slug, input.name ?? input.slug, input.storageQuotaBytes ?? null, input.parentId ?? null],
  );
  if (!rows[0])
    throw new IngestError('ORG_EXISTS', `organization ${JSON.stringify(input.slug)} already exists`, {
      organization: input.slug,
    });
  return toOrganization(rows[0]);
}

/** The organization, created on first use. `created` says whether this call created it. */
export async function ensureOrganization(
  db: Queryable,
  slug: string,
): Promise<{ organization: Organization; created: boolean }> {
  validateSlug(slug);
  const { rows } = await db.query<OrganizationRow>(
    `INSERT INTO tenant.organizations (slug, name) VALUES ($1, $1) ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`,
    [slug],
  );
  if (rows[0]) return { organization: toOrganization(rows[0]), created: true };
  return { organization: await getOrganization(db, slug), created: false };
}

export async function listOrganizations(db: Queryable): Promise<Organization[]> {
  const { rows } = await db.query<OrganizationRow>(
    `SELECT ${COLUMNS} FROM tenant.organizations ORDER BY slug`,
  );
  return rows.map(toOrganization);
}

/** A client organization of an agency. */
export interface ClientOrganization {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

/**
 * The agency's client organizations: for a member's transaction in the agency (the agency_clients
 * policy of migration 0030), or for an operator.
 */
export async function listClientOrganizations(
  db: Queryable,
  agencyId: string,
): Promise<ClientOrganization[]> {
  const { rows } = await db.query<{ id: string; slug: string; name: string; created_at: Date }>(
    'SELECT id, slug, name, created_at FROM tenant.organizations WHERE parent_id = $1 ORDER BY slug',
    [agencyId],
  );
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at }));
}

/** What tenant.create_client_organization did. */
export type ClientCreation =
  | { outcome: 'created'; id: string }
  | { outcome: 'exists' | 'not_agency' | 'limit' | 'denied' };

/** Creates a client organization of the current organization (a member allowed clients:create). */
export async function createClientOrganization(
  db: Queryable,
  input: { slug: string; name?: string; maxClients: number },
): Promise<ClientCreation> {
  validateSlug(input.slug);
  const { rows } = await db.query<{ id: string | null; outcome: ClientCreation['outcome'] }>(
    'SELECT * FROM tenant.create_client_organization($1, $2, $3)',
    [input.slug, input.name ?? null, input.maxClients],
  );
  const r = rows[0]!;
  return r.outcome === 'created' ? { outcome: 'created', id: r.id! } : { outcome: r.outcome };
}

/** Operator path (login role): an organization's agency id, and how many clients it has. */
export async function organizationFamily(
  db: Queryable,
  organizationId: string,
): Promise<{ parentId: string | null; clients: number }> {
  const { rows } = await db.query<{ parent_id: string | null; clients: number }>(
    `SELECT parent_id, (SELECT count(*)::int FROM tenant.organizations c WHERE c.parent_id = o.id) AS clients
     FROM tenant.organizations o WHERE id = $1`,
    [organizationId],
  );
  return { parentId: rows[0]?.parent_id ?? null, clients: rows[0]?.clients ?? 0 };
}

/** Sets the current organization's quota as its owner (tenant.set_storage_quota); false when refused. */
export async function setMemberStorageQuota(db: Queryable, quotaBytes: number | null): Promise<boolean> {
  const { rows } = await db.query<{ ok: boolean }>('SELECT tenant.set_storage_quota($1) AS ok', [quotaBytes]);
  return rows[0]?.ok === true;
}

/** Operator path (login role): sets an organization's quota (null: none). */
export async function setStorageQuota(
  db: Queryable,
  organizationId: string,
  quotaBytes: number | null,
): Promise<void> {
  await db.query('UPDATE tenant.organizations SET storage_quota_bytes = $2 WHERE id = $1', [
    organizationId,
    quotaBytes,
  ]);
}
