import type pg from 'pg';
import { deleteOrganizationRows, getOrganization, refreshTenantViews, withTransaction } from '../db/index.js';
import { coerceError, IngestError, isIngestError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Logger } from '../logger.js';
import { type ObjectStore, organizationPrefix } from '../storage/index.js';

export interface OrganizationDeletion {
  organization: string;
  organizationId: string;
  /** Rows deleted per table (schema.table), every tenant table listed. */
  rows: Record<string, number>;
  /** Objects deleted under orgs/<organization_id>/ (originals and archives). */
  objects: number;
  /** Unfinished multipart uploads aborted under the same prefix. */
  uploadsAborted: number;
  /**
   * False when the store does not implement listing unfinished uploads (a plain s3rver, some
   * S3-compatible stores): none could be looked for, and the objects were deleted all the same.
   */
  uploadsSwept: boolean;
}

/**
 * Deletes an organization and everything it has: its rows in every tenant table (found in the catalog,
 * see listTenantTables) in one transaction as the login role, then every object under its prefix in
 * the store, then refreshes the materialized views that carried its totals. Rows go first: a failure
 * while deleting objects leaves only unreferenced objects, and calling this again with the
 * organization's id (its slug is gone with its rows) deletes what is left under its prefix.
 */
export async function deleteOrganization(
  services: { pool: pg.Pool; store: ObjectStore; log: Logger },
  slug: string,
): Promise<OrganizationDeletion> {
  const { pool, store } = services;
  const organization = await getOrganization(pool, slug).catch(async (err: unknown) => {
    // An id whose rows are already gone: a deletion that failed while removing objects, run again.
    if (isIngestError(err) && err.code === 'ORG_NOT_FOUND' && isUuid(slug)) return null;
    throw err;
  });
  if (!organization) {
    const removed = await deleteOrganizationObjects(store, slug);
    if (removed.objects === 0 && removed.uploadsAborted === 0)
      throw new IngestError('ORG_NOT_FOUND', `no organization ${slug}, and nothing stored under its id`);
    services.log.info({ organizationId: slug, ...removed }, 'organization objects deleted');
    return { organization: slug, organizationId: slug, rows: {}, ...removed };
  }
  const log = services.log.child({ organizationId: organization.id, stage: 'org-delete' });
  const rows = await withTransaction(pool, { organization: slug }, (client) =>
    deleteOrganizationRows(client, organization.id),
  );
  const removed = await deleteOrganizationObjects(store, organization.id).catch((err: unknown) => {
    const error = coerceError(err, { organization: slug });
    throw new IngestError(
      error.code,
      `the rows of organization ${slug} are deleted, but deleting its objects failed (${error.message}); ` +
        `run \`ingest org delete ${organization.id} --yes\` to finish`,
      { organization: slug, organizationId: organization.id },
      { cause: err },
    );
  });
  await refreshTenantViews(pool).catch((err) =>
    log.warn({ err }, 'could not refresh the organization totals; the next refresh drops the row'),
  );
  log.info(removed, 'organization deleted');
  return { organization: slug, organizationId: organization.id, rows, ...removed };
}

/**
 * Deletes every object and unfinished upload under the organization's prefix. The uploads are optional
 * work: on a store that does not implement listing them the objects are deleted all the same, and
 * `uploadsSwept` says the uploads were not looked for.
 */
export async function deleteOrganizationObjects(
  store: ObjectStore,
  organizationId: string,
): Promise<{ objects: number; uploadsAborted: number; uploadsSwept: boolean }> {
  const prefix = organizationPrefix(organizationId);
  const swept = store.abortIncompleteUploads
    ? await store.abortIncompleteUploads(prefix, async () => true)
    : 0;
  const uploadsAborted = swept ?? 0;
  let objects = 0;
  // Collected first: deleting while paging a listing can skip keys on some stores.
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  for (const key of keys) {
    await store.delete(key);
    objects++;
  }
  return { objects, uploadsAborted, uploadsSwept: swept !== null };
}
