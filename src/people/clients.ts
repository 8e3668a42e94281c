import type pg from 'pg';
import {
  type ClientOrganization,
  createClientOrganization,
  createOrganization,
  getOrganization,
  listClientOrganizations,
  logActivity,
  type Organization,
  organizationFamily,
  setMemberStorageQuota,
  setStorageQuota,
  withTenant,
  withTransaction,
} from '../db/index.js';
import { IngestError } from '../errors.js';
import { type PeopleAccess, peopleActivity } from './access.js';

/** An agency's client organizations (GET /v1/organizations; a member's transaction in the agency). */
export async function listClients(pool: pg.Pool, agencyId: string): Promise<ClientOrganization[]> {
  return withTenant(pool, agencyId, (db) => listClientOrganizations(db, agencyId));
}

function tooManyClients(max: number): IngestError {
  return new IngestError(
    'TOO_MANY_CLIENTS',
    `the agency has ${max} client organizations, the most allowed (INGEST_MAX_CLIENTS)`,
    { limit: max },
  );
}

function notAnAgency(slug: string): IngestError {
  return new IngestError('NOT_AN_AGENCY', `${slug} is a client organization: it cannot have clients`, {
    organization: slug,
  });
}

/**
 * Creates a client organization of the agency the member acts in (admins and owners of the agency),
 * through tenant.create_client_organization, which checks the role, the one level and the limit.
 */
export async function createClient(
  pool: pg.Pool,
  access: Extract<PeopleAccess, { kind: 'member' }>,
  agency: { id: string; slug: string },
  input: { slug: string; name?: string },
  maxClients: number,
): Promise<ClientOrganization> {
  return withTenant(pool, agency.id, async (db) => {
    const created = await createClientOrganization(db, { ...input, maxClients });
    switch (created.outcome) {
      case 'exists':
        throw new IngestError('ORG_EXISTS', `organization ${JSON.stringify(input.slug)} already exists`, {
          organization: input.slug,
        });
      case 'not_agency':
        throw notAnAgency(agency.slug);
      case 'limit':
        throw tooManyClients(maxClients);
      case 'denied':
        throw new IngestError('FORBIDDEN', `a ${access.member.role} cannot create client organizations`, {
          role: access.member.role,
        });
    }
    await logActivity(
      db,
      peopleActivity(access, agency.id, {
        action: 'organization.create_client',
        targetType: 'organization',
        targetId: created.id,
        details: { slug: input.slug },
      }),
    );
    const client = (await listClientOrganizations(db, agency.id)).find((c) => c.id === created.id);
    return client!;
  });
}

/** Operator path (`ingest org create <slug> --parent <agency>`): a client organization of `parentSlug`. */
export async function createClientAsOperator(
  pool: pg.Pool,
  input: {
    slug: string;
    name?: string;
    storageQuotaBytes?: number | null;
    parentSlug: string;
    actor: string;
  },
  maxClients: number,
): Promise<Organization> {
  return withTransaction(pool, { organization: input.slug }, async (db) => {
    const parent = await getOrganization(db, input.parentSlug);
    // Serializes client creation per agency, as the member path does.
    await db.query('SELECT 1 FROM tenant.organizations WHERE id = $1 FOR UPDATE', [parent.id]);
    const family = await organizationFamily(db, parent.id);
    if (family.parentId !== null) throw notAnAgency(parent.slug);
    if (family.clients >= maxClients) throw tooManyClients(maxClients);
    const created = await createOrganization(db, {
      slug: input.slug,
      ...(input.name !== undefined && { name: input.name }),
      storageQuotaBytes: input.storageQuotaBytes ?? null,
      parentId: parent.id,
    });
    await logActivity(db, {
      organizationId: parent.id,
      actor: input.actor,
      action: 'organization.create_client',
      targetType: 'organization',
      targetId: created.id,
      details: { slug: created.slug },
    });
    return created;
  });
}

/** Sets an organization's storage quota (null: none), logged; owners over HTTP, operators in the CLI. */
export async function changeQuota(
  pool: pg.Pool,
  access: PeopleAccess,
  organization: { id: string; slug: string },
  quotaBytes: number | null,
): Promise<void> {
  const entry = peopleActivity(access, organization.id, {
    action: 'organization.quota',
    targetType: 'organization',
    targetId: organization.id,
    details: { quotaBytes },
  });
  if (access.kind === 'operator') {
    await withTransaction(pool, { organization: organization.slug }, async (db) => {
      await setStorageQuota(db, organization.id, quotaBytes);
      await logActivity(db, entry);
    });
    return;
  }
  await withTenant(pool, organization.id, async (db) => {
    if (!(await setMemberStorageQuota(db, quotaBytes)))
      throw new IngestError('FORBIDDEN', `a ${access.member.role} cannot change the quota`, {
        role: access.member.role,
      });
    await logActivity(db, entry);
  });
}
