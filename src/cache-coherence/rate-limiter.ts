import type pg from 'pg';
import { countKeyRequests } from '../db/index.js';
import { IngestError } from '../errors.js';
import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';
import { emptyLease, type Lease, leaseSize, settleLease } from './rate-limit-lease.js';

/** What the limiter needs of a verified key (the server's Principal has it). */
export interface LimitedKey {
  apiKeyId: string;
  organizationId: string;
  rateLimitPerMinute: number;
}

/** Counts requests against a key's sliding window in PostgreSQL (countKeyRequests; a stand-in in unit tests). */
export type CountRequests = typeof countKeyRequests;

/** Keys whose allowance is remembered at most; past it, those expired and not refused go first. */
const MAX_KEYS = 10_000;

/**
 * Per-key limits of requests per minute, as a sliding window counted in PostgreSQL so every server
 * process shares it (tenant.count_api_key_requests, migration 0011). The guarantee: across all
 * processes, a key is granted at most its limit in any 60 s interval. Past the limit: RATE_LIMITED,
 * with the seconds until one more request fits as `retryAfterSeconds` (the Retry-After header). A
 * revoked key is UNAUTHORIZED.
 *
 * While the change feed is live, one count takes a lease of leaseSize(limit) requests, which this
 * process then hands out without a round trip for at most LEASE_MS after the count was sent (the
 * window reaches back far enough to cover that, so the guarantee holds for the moment requests are
 * used, not only counted); a revocation reaches it as a notification (milliseconds after it commits)
 * and drops the lease. What a process leased and did not use counts as used for the next 61 s, so a
 * key may get up to 1% of its limit fewer requests per process and lease. A count that found the
 * limit reached is remembered: the key is refused here, without counting, until the window frees a
 * request. While the feed is not live, every request is counted on its own, which also checks
 * revocation on every request. A count that overlapped a change to its key, or the feed going down or
 * up, keeps no lease. The protocol this relies on is described at the top of change-feed.ts; the
 * lease arithmetic is in rate-limit-lease.ts.
 */
export class RateLimiter implements ChangeSubscriber {
  private readonly allowances = new Map<string, Lease>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly feed: ChangeFeedState,
    private readonly now: () => number = () => performance.now(),
    private readonly countRequests: CountRequests = countKeyRequests,
  ) {}

  /**
   * Takes one request from the key's lease without waiting: false when that needs PostgreSQL (no
   * lease, a count in flight, the lease expired or used up); `enforce` then decides.
   */
  take(principal: LimitedKey): boolean {
    if (!this.feed.live) return false;
    const allowance = this.allowances.get(principal.apiKeyId);
    if (!allowance || allowance.pending || allowance.remaining === 0) return false;
    if (allowance.expiresAt <= this.now()) return false;
    allowance.remaining--;
    return true;
  }

  async enforce(principal: LimitedKey): Promise<void> {
    const id = principal.apiKeyId;
    // Without the feed a revocation would go unheard: count every request, which checks it.
    if (!this.feed.live) return this.count(principal);
    for (;;) {
      if (this.take(principal)) return;
      const allowance = this.allowances.get(id);
      if (allowance?.pending) {
        await allowance.pending;
        continue;
      }
      const msLeft = allowance ? allowance.refusedUntil - this.now() : 0;
      if (msLeft > 0) throw rateLimited(principal, msLeft);
      return this.count(principal);
    }
  }

  // A count in flight for a dropped allowance finds it gone and keeps nothing (see count()).
  change(change: Change): void {
    if (change.kind !== 'apiKey') return;
    this.allowances.delete(change.id);
  }

  reset(): void {
    this.allowances.clear();
  }

  /** Counts this request and, while the feed is live, the lease that follows it. */
  private async count(principal: LimitedKey): Promise<void> {
    const id = principal.apiKeyId;
    const leasing = this.feed.live;
    const requests = leasing ? leaseSize(principal.rateLimitPerMinute) : 1;
    const epoch = this.feed.epoch;
    // The lease's end is reckoned from before the count was sent (see LEASE_MS).
    const sentAt = this.now();
    const allowance = emptyLease();
    const settled = this.countRequests(this.pool, principal.organizationId, id, requests).then((counted) => {
      const current = this.allowances.get(id) === allowance;
      const unchanged = this.feed.live && this.feed.epoch === epoch;
      if (current && !(counted && leasing && unchanged)) this.allowances.delete(id);
      if (!counted) throw new IngestError('UNAUTHORIZED', 'this API key has been revoked');
      const granted = settleLease(allowance, requests, counted, sentAt);
      if (granted === 0) throw rateLimited(principal, counted.retryAfterMs);
    });
    if (leasing) {
      const done = () => {
        allowance.pending = null;
      };
      allowance.pending = settled.then(done, done);
      this.allowances.delete(id);
      this.allowances.set(id, allowance);
      this.bound();
    }
    await settled;
  }

  private bound(): void {
    if (this.allowances.size <= MAX_KEYS) return;
    const now = this.now();
    for (const [id, allowance] of this.allowances) {
      const over = allowance.expiresAt <= now && allowance.refusedUntil <= now;
      if (!allowance.pending && over) this.allowances.delete(id);
    }
    for (const [id, allowance] of this.allowances) {
      if (this.allowances.size <= MAX_KEYS) break;
      if (!allowance.pending) this.allowances.delete(id);
    }
  }
}

function rateLimited(principal: LimitedKey, msLeft: number): IngestError {
  const seconds = Math.max(1, Math.ceil(msLeft / 1000));
  return new IngestError(
    'RATE_LIMITED',
    `rate limit of ${principal.rateLimitPerMinute} requests per minute exceeded; retry in ${seconds} s`,
    { retryAfterSeconds: seconds, limit: principal.rateLimitPerMinute },
  );
}
