import type pg from 'pg';
import type { Config } from '../config.js';
import { type Organization, withTenant } from '../db/index.js';
import { formatBytes } from '../units.js';
import type { IngestOptions } from './types.js';

/** Bytes the organization's stored originals take up (the quota counts uploads as sent). */
export async function storageUsedBytes(pool: pg.Pool, organizationId: string): Promise<number> {
  return withTenant(pool, organizationId, async (db) => {
    const { rows } = await db.query<{ used: string }>(
      'SELECT coalesce(sum(size_bytes), 0)::bigint AS used FROM storage_meta.files WHERE organization_id = $1',
      [organizationId],
    );
    return Number(rows[0]!.used);
  });
}

/**
 * The byte limit one upload into `organization` runs under: the maximum upload size, or what is left of
 * the organization's storage quota when that is smaller. Enforced while the bytes stream in, so an
 * oversized upload is refused before anything of it is stored.
 */
export async function uploadByteLimit(
  pool: pg.Pool,
  organization: Organization,
  config: Pick<Config, 'maxUploadBytes'>,
): Promise<NonNullable<IngestOptions['byteLimit']>> {
  const maxUpload: NonNullable<IngestOptions['byteLimit']> = {
    bytes: config.maxUploadBytes,
    code: 'UPLOAD_TOO_LARGE',
    message: `the upload is larger than the maximum upload size of ${formatBytes(config.maxUploadBytes)}`,
  };
  if (organization.storageQuotaBytes === null) return maxUpload;
  const used = await storageUsedBytes(pool, organization.id);
  const left = Math.max(0, organization.storageQuotaBytes - used);
  if (left >= maxUpload.bytes) return maxUpload;
  return {
    bytes: left,
    code: 'QUOTA_EXCEEDED',
    message:
      `the upload would exceed organization ${organization.slug}'s storage quota of ` +
      `${formatBytes(organization.storageQuotaBytes)} (${formatBytes(used)} used)`,
  };
}
