import type { Queryable } from './pool.js';

/** An organization's storage against its quota. */
export interface StorageUsage {
  organizationId: string;
  slug: string;
  /** Original bytes of its ready and processing files (tenant.calculate_storage_usage). */
  usedBytes: number;
  /** null: no quota. */
  quotaBytes: number | null;
}

/** The usage of the organization the tenant transaction acts for, or null if it does not exist. */
export async function storageUsage(db: Queryable, organizationId: string): Promise<StorageUsage | null> {
  const { rows } = await db.query<{
    id: string;
    slug: string;
    used: string;
    storage_quota_bytes: string | null;
  }>(
    `SELECT id, slug, tenant.calculate_storage_usage(id) AS used, storage_quota_bytes
     FROM tenant.organizations WHERE id = $1`,
    [organizationId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    organizationId: r.id,
    slug: r.slug,
    usedBytes: Number(r.used),
    quotaBytes: r.storage_quota_bytes === null ? null : Number(r.storage_quota_bytes),
  };
}
