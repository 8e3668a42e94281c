import type pg from 'pg';
import { countKeyRequest } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { Principal } from './authenticate.js';

/**
 * Counts the request against its key's per-minute limit (a fixed window per calendar minute, counted in
 * PostgreSQL so several server processes share it). Past the limit: RATE_LIMITED, with the seconds
 * until the window ends as `retryAfterSeconds` (the Retry-After header). A key revoked since it was
 * authenticated is UNAUTHORIZED.
 */
export async function enforceRateLimit(pool: pg.Pool, principal: Principal): Promise<void> {
  const counted = await countKeyRequest(pool, principal.organizationId, principal.apiKeyId);
  if (!counted) throw new IngestError('UNAUTHORIZED', 'this API key has been revoked');
  if (counted.count > principal.rateLimitPerMinute) {
    throw new IngestError(
      'RATE_LIMITED',
      `rate limit of ${principal.rateLimitPerMinute} requests per minute exceeded; retry in ${counted.secondsLeft} s`,
      { retryAfterSeconds: counted.secondsLeft, limit: principal.rateLimitPerMinute },
    );
  }
}
