import { IngestError } from '../errors.js';
import { formatBytes } from '../units.js';
import type { Queryable } from './pool.js';

/** An organization's storage against its quota. */
export interface StorageUsage {
  organizationId: string;
  slug: string;
  /**
   * Bytes counted against the quota (tenant.calculate_storage_usage): what each ready file stores (its
   * original, chunk payloads and metric and rejected rows: `charged_bytes`), and the original's size of
   * each file still processing.
   */
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
 * quota (see lockQuota).
 */
export async function reserveStorage(db: Queryable, organizationId: string, bytes: number): Promise<void> {
  const row = await lockQuota(db, organizationId);
  if (!row) return;
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

/**
 * Records what a file stores (`charged_bytes`, see migration 0012) and checks the organization's quota
 * with it, or throws QUOTA_EXCEEDED. Call in the transaction that makes the file ready, just before it
 * commits: as in reserveStorage, the organization's quota lock (held to commit) serializes the checks.
 * What is counted is what the organization's ready files store, plus this file: so the ready files
 * together never pass the quota, and files still processing (held at their original's size by
 * reserveStorage when claimed) are checked when they finish, in turn. A refusal rolls the transaction
 * back, so the file leaves nothing.
 */
export async function chargeStorage(
  db: Queryable,
  organizationId: string,
  fileId: string,
  bytes: number,
): Promise<void> {
  await db.query('UPDATE storage_meta.files SET charged_bytes = $3 WHERE organization_id = $1 AND id = $2', [
    organizationId,
    fileId,
    bytes,
  ]);
  const row = await lockQuota(db, organizationId);
  if (!row) return;
  // A statement of its own, after the lock: see reserveStorage.
  const { rows: ready } = await db.query<{ used: string }>(
    `SELECT coalesce(sum(coalesce(charged_bytes, size_bytes)), 0) AS used FROM storage_meta.files
     WHERE organization_id = $1 AND status = 'ready' AND id <> $2`,
    [organizationId, fileId],
  );
  // An aggregate without GROUP BY returns exactly one row.
  const used = Number(ready[0]!.used);
  const quotaBytes = Number(row.quota);
  if (used + bytes > quotaBytes) {
    throw new IngestError(
      'QUOTA_EXCEEDED',
      `the file stores ${formatBytes(bytes)} (original, chunks, metrics and rejected rows), more than the ` +
        `${formatBytes(Math.max(0, quotaBytes - used))} left of ${row.slug}'s storage quota of ${formatBytes(quotaBytes)}`,
      { organization: row.slug, storedBytes: bytes, quotaBytes, usedBytes: used },
    );
  }
}

/**
 * The organization's quota, with its quota lock taken (a transaction-level advisory lock, held to commit), or
 * null without a quota (then no lock is taken). An advisory lock, not a lock on the organization row: locking
 * a row needs UPDATE privilege on it, and ingest_app may not update organizations (migration 0010).
 */
async function lockQuota(
  db: Queryable,
  organizationId: string,
): Promise<{ slug: string; quota: string } | null> {
  const { rows } = await db.query<{ slug: string; quota: string | null }>(
    'SELECT slug, storage_quota_bytes AS quota FROM tenant.organizations WHERE id = $1',
    [organizationId],
  );
  const row = rows[0];
  if (!row || row.quota === null) return null;
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended('quota:' || $1, 0))`, [organizationId]);
  return { slug: row.slug, quota: row.quota };
}
