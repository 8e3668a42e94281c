import { IngestError } from '../errors.js';
import { formatBytes } from '../units.js';
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

/**
 * Admits `bytes` more against the organization's quota, or throws QUOTA_EXCEEDED. Call in the
 * transaction that claims the file row: a transaction-level advisory lock on the organization, held to
 * commit, serializes claims, and the usage counted includes every file already claimed (processing) or
 * ready. So uploads running side by side can never pass the quota together. No lock is taken without a
 * quota. (An advisory lock, not a lock on the organization row: locking a row needs UPDATE privilege on
 * it, and ingest_app may not update organizations, see migration 0010.)
 */
export async function reserveStorage(db: Queryable, organizationId: string, bytes: number): Promise<void> {
  const { rows } = await db.query<{ slug: string; quota: string | null }>(
    'SELECT slug, storage_quota_bytes AS quota FROM tenant.organizations WHERE id = $1',
    [organizationId],
  );
  const row = rows[0];
  if (!row || row.quota === null) return;
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('quota:' || $1, 0))`, [organizationId]);
  // A statement of its own, after the lock: under READ COMMITTED its snapshot includes the files claimed
  // by the transactions that held the lock before (the locking statement's snapshot predates them).
  const { rows: usage } = await db.query<{ used: string }>(
    'SELECT tenant.calculate_storage_usage($1) AS used',
    [organizationId],
  );
  const quotaBytes = Number(row.quota);
  // A SELECT without FROM returns exactly one row.
  const used = Number(usage[0]!.used);
  if (used + bytes > quotaBytes) {
    throw new IngestError(
      'QUOTA_EXCEEDED',
      `the upload exceeds the storage quota of ${row.slug}: ${formatBytes(Math.max(0, quotaBytes - used))} of ${formatBytes(quotaBytes)} left`,
      { organization: row.slug, bytes, quotaBytes, usedBytes: used },
    );
  }
}
