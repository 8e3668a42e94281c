import type pg from 'pg';
import { storageUsage, withTenant } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { IngestOptions } from '../ingest/index.js';
import { formatBytes } from '../units.js';
import type { Principal } from './authenticate.js';

/**
 * The byte limit of one upload while it streams in: the configured maximum, or what is left of the
 * organization's quota when that is less, as of the upload's start. This refuses early; the exact
 * check, serialized across concurrent uploads, is reserveStorage() when the file row is claimed.
 */
export async function uploadLimit(
  pool: pg.Pool,
  principal: Principal,
  maxUploadBytes: number,
): Promise<NonNullable<IngestOptions['byteLimit']>> {
  const usage = await withTenant(pool, principal.organizationId, (db) =>
    storageUsage(db, principal.organizationId),
  );
  if (!usage) throw new IngestError('UNAUTHORIZED', 'the organization of this API key no longer exists');
  const remaining = usage.quotaBytes === null ? Number.POSITIVE_INFINITY : usage.quotaBytes - usage.usedBytes;
  if (remaining < maxUploadBytes) {
    const left = Math.max(0, remaining);
    return {
      bytes: left,
      code: 'QUOTA_EXCEEDED',
      message: `the upload exceeds the storage quota of ${usage.slug}: ${formatBytes(left)} of ${formatBytes(usage.quotaBytes ?? 0)} left`,
    };
  }
  return {
    bytes: maxUploadBytes,
    code: 'UPLOAD_TOO_LARGE',
    message: `the upload exceeds the maximum upload size of ${formatBytes(maxUploadBytes)}`,
  };
}
