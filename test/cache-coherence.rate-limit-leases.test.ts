import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/cache-coherence/index.js';
import { leaseSize, MAX_LEASE } from '../src/cache-coherence/rate-limit-lease.js';
import type { CountRequests } from '../src/cache-coherence/rate-limiter.js';
import { IngestError } from '../src/errors.js';

/**
 * Rate-limit leases (limits of 200 a minute and more) on an injected clock, against a stand-in for the
 * window counter in PostgreSQL (countKeyRequests) that several limiters, as several processes, share.
 * The same limiter against PostgreSQL and HTTP is exercised in cache-coherence.read-cache.test.ts and
 * cache-coherence.rate-limit-two-processes.test.ts.
 */

const MINUTE = 60_000;

/** tenant.rate_limit_windows as countKeyRequests sees it: one window per key and calendar minute. */
class Windows {
  now = 0;
  /** The requests of each count, in the order counted. */
  readonly counts: number[] = [];
  readonly revoked = new Set<string>();
  /** While set, counts wait for `release()` (a slow round trip); they are evaluated when sent. */
  held: (() => void)[] | null = null;
  private readonly windows = new Map<string, { start: number; count: number }>();

  readonly count: CountRequests = async (_pool, _organizationId, keyId, requests) => {
    this.counts.push(requests);
    if (this.revoked.has(keyId)) return null;
    const start = Math.floor(this.now / MINUTE) * MINUTE;
    const window = this.windows.get(keyId);
    const current = window?.start === start ? window : { start, count: 0 };
    current.count += requests;
    this.windows.set(keyId, current);
    const answer = { count: current.count, msLeft: Math.max(1, start + MINUTE - this.now) };
    if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
    return answer;
  };

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resolve of held) resolve();
  }

  counted(keyId: string): number {
    return this.windows.get(keyId)?.count ?? 0;
  }
}

interface Feed {
  live: boolean;
  epoch: number;
}

function limiter(windows: Windows, feed: Feed = { live: true, epoch: 1 }): RateLimiter {
  return new RateLimiter({} as pg.Pool, feed, () => windows.now, windows.count);
}

const key = (rateLimitPerMinute: number, apiKeyId = 'key') => ({
  apiKeyId,
  organizationId: 'org',
  rateLimitPerMinute,
});

/** Sends `n` requests one after the other; how many were let through. */
async function send(rateLimiter: RateLimiter, principal: ReturnType<typeof key>, n: number): Promise<number> {
  let passed = 0;
  for (let i = 0; i < n; i++) {
    if (await admitted(rateLimiter, principal)) passed++;
  }
  return passed;
}

async function admitted(rateLimiter: RateLimiter, principal: ReturnType<typeof key>): Promise<boolean> {
  try {
    await rateLimiter.enforce(principal);
    return true;
  } catch (err) {
    if (err instanceof IngestError && err.code === 'RATE_LIMITED') return false;
    throw err;
  }
}

describe('rate-limit leases', () => {
  it('take 1% of the per-minute limit, at most 1,000, and one request at a time under 200', () => {
    expect(MAX_LEASE).toBe(1_000);
    expect(leaseSize(199)).toBe(1);
    expect(leaseSize(200)).toBe(2);
    expect(leaseSize(299)).toBe(2);
    expect(leaseSize(300)).toBe(3);
    expect(leaseSize(12_345)).toBe(123);
    expect(leaseSize(99_999)).toBe(999);
    expect(leaseSize(100_000)).toBe(1_000);
    expect(leaseSize(1_000_000)).toBe(1_000);
  });

  it('count a lease once and hand it out without counting again', async () => {
    for (const [limit, lease] of [
      [200, 2],
      [600, 6],
      [250_000, 1_000],
    ] as const) {
      const windows = new Windows();
      const rateLimiter = limiter(windows);
      const principal = key(limit);
      await rateLimiter.enforce(principal);
      expect(windows.counts).toEqual([lease]);
      // The request that counted used one; the rest of the lease passes without a round trip.
      for (let i = 1; i < lease; i++) expect(rateLimiter.take(principal)).toBe(true);
      expect(rateLimiter.take(principal)).toBe(false);
      await rateLimiter.enforce(principal);
      expect(windows.counts).toEqual([lease, lease]);
    }
  });

  it('never let processes together past the limit, and refuse until the window ends', async () => {
    for (const limit of [200, 250, 1_234, 20_050]) {
      const windows = new Windows();
      windows.now = 5_000;
      const processes = [limiter(windows), limiter(windows), limiter(windows)];
      const principal = key(limit);
      let passed = 0;
      // Requests arrive at the processes in turn, two at once on each, until none is let through.
      for (let rounds = 0; rounds < limit; rounds++) {
        const burst = processes.flatMap((p) => [admitted(p, principal), admitted(p, principal)]);
        const round = (await Promise.all(burst)).filter(Boolean).length;
        if (round === 0) break;
        passed += round;
      }
      expect(passed).toBeLessThanOrEqual(limit);
      // A process may lose what it leased and did not use: at most a lease less one, per process.
      expect(passed).toBeGreaterThanOrEqual(limit - 3 * (leaseSize(limit) - 1));
      // Once a count found the limit reached, a process refuses without counting again.
      const counts = windows.counts.length;
      for (const p of processes) {
        const refused = await p.enforce(principal).catch((err: unknown) => err);
        expect(refused).toBeInstanceOf(IngestError);
        expect((refused as IngestError).code).toBe('RATE_LIMITED');
        // 55 s of the window left.
        expect((refused as IngestError).context.retryAfterSeconds).toBe(55);
      }
      expect(windows.counts).toHaveLength(counts);
      // The next minute is a new window.
      windows.now = MINUTE;
      for (const p of processes) expect(await admitted(p, principal)).toBe(true);
    }
  });

  it('end with the window as counted from before the count, however late the answer', async () => {
    const windows = new Windows();
    const rateLimiter = limiter(windows);
    const principal = key(1_000); // leases of 10
    windows.now = MINUTE - 1_000; // 1 s left in the window
    windows.held = [];
    const first = rateLimiter.enforce(principal);
    // The answer takes 0.9 s: the window then has 0.1 s left, not 1 s from the answer's arrival.
    windows.now = MINUTE - 100;
    windows.release();
    await first;
    expect(windows.counts).toEqual([10]);
    windows.now = MINUTE - 1;
    expect(rateLimiter.take(principal)).toBe(true);
    windows.now = MINUTE;
    expect(rateLimiter.take(principal)).toBe(false);
    // The next request counts again, in the new window, for a new lease.
    await rateLimiter.enforce(principal);
    expect(windows.counts).toEqual([10, 10]);
    expect(windows.counted(principal.apiKeyId)).toBe(10);
  });

  it('need a live feed: without it every request is counted on its own', async () => {
    const windows = new Windows();
    const feed = { live: true, epoch: 1 };
    const rateLimiter = limiter(windows, feed);
    const principal = key(500); // leases of 5
    await rateLimiter.enforce(principal);
    expect(rateLimiter.take(principal)).toBe(true);
    feed.live = false;
    // The lease still holds 3, but is not used while the feed is not live.
    expect(rateLimiter.take(principal)).toBe(false);
    expect(await send(rateLimiter, principal, 3)).toBe(3);
    expect(windows.counts).toEqual([5, 1, 1, 1]);
    // A revocation is then seen on the very next request.
    windows.revoked.add(principal.apiKeyId);
    const refused = await rateLimiter.enforce(principal).catch((err: unknown) => err);
    expect((refused as IngestError).code).toBe('UNAUTHORIZED');
  });

  it('keep nothing counted while the feed went down or came up, or the key changed', async () => {
    const windows = new Windows();
    const feed = { live: true, epoch: 1 };
    const rateLimiter = limiter(windows, feed);
    const principal = key(400); // leases of 4

    windows.held = [];
    const acrossOutage = rateLimiter.enforce(principal);
    feed.epoch = 3; // down and up again while the count was in flight
    windows.release();
    await acrossOutage;
    expect(rateLimiter.take(principal)).toBe(false);

    windows.held = [];
    const acrossReset = rateLimiter.enforce(principal);
    rateLimiter.reset();
    windows.release();
    await acrossReset;
    expect(rateLimiter.take(principal)).toBe(false);

    windows.held = [];
    const acrossChange = rateLimiter.enforce(principal);
    rateLimiter.change({ kind: 'apiKey', organizationId: 'org', id: principal.apiKeyId });
    windows.release();
    await acrossChange;
    expect(rateLimiter.take(principal)).toBe(false);

    // Another key's change, or a file's, leaves the lease alone.
    await rateLimiter.enforce(principal);
    rateLimiter.change({ kind: 'apiKey', organizationId: 'org', id: 'another key' });
    rateLimiter.change({ kind: 'file', organizationId: 'org', id: principal.apiKeyId });
    expect(rateLimiter.take(principal)).toBe(true);
    // Its own key's change drops it.
    rateLimiter.change({ kind: 'apiKey', organizationId: 'org', id: principal.apiKeyId });
    expect(rateLimiter.take(principal)).toBe(false);
    expect(windows.counts).toEqual([4, 4, 4, 4]);
  });
});
