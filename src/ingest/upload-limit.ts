import type pg from 'pg';
import { storageUsage, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import { formatBytes } from '../units.js';
import type { IngestOptions } from './types.js';

/** An upload's byte limit, with the quota left it was worked out from. */
export type UploadByteLimit = NonNullable<IngestOptions['byteLimit']> & {
  /** Bytes of the organization's quota left at the upload's start; null without a quota. */
  quotaLeftBytes: number | null;
};

/**
 * The byte limit one upload into an organization streams under: the maximum upload size, or what is left
 * of the organization's storage quota when that is less, as of the upload's start. Enforced while the bytes
 * come in, so an oversized upload is refused before anything of it is stored. This refuses early; the
 * exact check, serialized across concurrent uploads, is reserveStorage() when the file row is claimed.
 * Used by the CLI and the HTTP API alike.
 */
export async function uploadByteLimit(
  pool: pg.Pool,
  organizationId: string,
  maxUploadBytes: number,
): Promise<UploadByteLimit> {
  const usage = await withTenant(pool, organizationId, (db) => storageUsage(db, organizationId));
  if (!usage) throw new IngestError('ORG_NOT_FOUND', `organization ${organizationId} no longer exists`);
  const remaining = usage.quotaBytes === null ? Number.POSITIVE_INFINITY : usage.quotaBytes - usage.usedBytes;
  const quotaLeftBytes = usage.quotaBytes === null ? null : Math.max(0, remaining);
  if (remaining < maxUploadBytes) {
    const left = Math.max(0, remaining);
    return {
      quotaLeftBytes,
      bytes: left,
      code: 'QUOTA_EXCEEDED',
      message:
        `the upload would exceed organization ${usage.slug}'s storage quota: ` +
        `${formatBytes(left)} of ${formatBytes(usage.quotaBytes ?? 0)} left`,
    };
  }
  return {
    quotaLeftBytes,
    bytes: maxUploadBytes,
    code: 'UPLOAD_TOO_LARGE',
    message: `the upload is larger than the maximum upload size of ${formatBytes(maxUploadBytes)}`,
  };
}
