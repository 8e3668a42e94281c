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
  input: { slug: string; name?: string; storageQuotaBytes?: number | null },
): Promise<Organization> {
  validateSlug(input.slug);
  const { rows } = await db.query<OrganizationRow>(
    `INSERT INTO tenant.organizations (slug, name, storage_quota_bytes) VALUES ($1, $2, $3)
     ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`,
    [input.slug, input.name ?? input.slug, input.storageQuotaBytes ?? null],
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
