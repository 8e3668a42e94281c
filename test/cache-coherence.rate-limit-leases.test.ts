import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/cache-coherence/index.js';
import { LEASE_MS, leaseSize, MAX_LEASE } from '../src/cache-coherence/rate-limit-lease.js';
import type { CountRequests } from '../src/cache-coherence/rate-limiter.js';
import { IngestError } from '../src/errors.js';

/**
 * Rate-limit leases (limits of 200 a minute and more) and the sliding window on an injected clock,
 * against a stand-in for the window in PostgreSQL (countKeyRequests) that several limiters, as several
 * processes, share. The same limiter against PostgreSQL and HTTP is exercised in
 * cache-coherence.read-cache.test.ts and cache-coherence.rate-limit-two-processes.test.ts.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

/**
 * tenant.count_api_key_requests (migration 0011) as countKeyRequests sees it: the requests granted per
 * key and second, a count granting what keeps the 62 slots ending with its own within the key's limit.
 */
class Windows {
  now = 0;
  /** The requests of each count, in the order counted. */
  readonly counts: number[] = [];
  readonly revoked = new Set<string>();
  /** While set, counts wait for `release()` (a slow round trip); they are evaluated when sent. */
  held: (() => void)[] | null = null;
  private readonly limits = new Map<string, number>();
  private readonly slots = new Map<string, Map<number, number>>();

  /** A key with `rateLimitPerMinute`, as the server's principal has it. */
  key(rateLimitPerMinute: number, apiKeyId = 'key') {
    this.limits.set(apiKeyId, rateLimitPerMinute);
    return { apiKeyId, organizationId: 'org', rateLimitPerMinute };
  }

  readonly count: CountRequests = async (_pool, _organizationId, keyId, requests) => {
    this.counts.push(requests);
    if (this.revoked.has(keyId)) return null;
    const limit = this.limits.get(keyId)!;
    const slot = Math.floor(this.now / SECOND) * SECOND;
    const slots = this.slots.get(keyId) ?? new Map<number, number>();
    this.slots.set(keyId, slots);
    for (const start of slots.keys()) if (start < slot - 61 * SECOND) slots.delete(start);
    const used = [...slots.values()].reduce((a, b) => a + b, 0);
    const granted = Math.min(requests, Math.max(0, limit - used));
    if (granted > 0) slots.set(slot, (slots.get(slot) ?? 0) + granted);
    let retryAfterMs = 0;
    if (granted < requests) {
      let through = 0;
      for (const start of [...slots.keys()].sort((a, b) => a - b)) {
        through += slots.get(start)!;
        if (used + granted - through <= limit - 1) {
          retryAfterMs = Math.max(1, start + 62 * SECOND - this.now);
          break;
        }
      }
    }
    const answer = { granted, retryAfterMs };
    if (this.held) await new Promise<void>((resolve) => this.held?.push(resolve));
    return answer;
  };

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resolve of held) resolve();
  }

  /** Requests of the key the window holds (granted in the last 62 slots). */
  counted(keyId: string): number {
    return [...(this.slots.get(keyId)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }
}

interface Feed {
  live: boolean;
  epoch: number;
}

function limiter(windows: Windows, feed: Feed = { live: true, epoch: 1 }): RateLimiter {
  return new RateLimiter({} as pg.Pool, feed, () => windows.now, windows.count);
}

type Key = ReturnType<Windows['key']>;

/** Sends `n` requests one after the other; how many were let through. */
async function send(rateLimiter: RateLimiter, principal: Key, n: number): Promise<number> {
  let passed = 0;
  for (let i = 0; i < n; i++) {
    if (await admitted(rateLimiter, principal)) passed++;
  }
  return passed;
}

async function admitted(rateLimiter: RateLimiter, principal: Key): Promise<boolean> {
  try {
    await rateLimiter.enforce(principal);
    return true;
  } catch (err) {
    if (err instanceof IngestError && err.code === 'RATE_LIMITED') return false;
    throw err;
  }
}

/** The most of `times` (sorted, in ms) that fall in any closed interval of `span` ms. */
function mostWithin(times: number[], span: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! > span) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
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
      const principal = windows.key(limit);
      await rateLimiter.enforce(principal);
      expect(windows.counts).toEqual([lease]);
      // The request that counted used one; the rest of the lease passes without a round trip.
      for (let i = 1; i < lease; i++) expect(rateLimiter.take(principal)).toBe(true);
      expect(rateLimiter.take(principal)).toBe(false);
      await rateLimiter.enforce(principal);
      expect(windows.counts).toEqual([lease, lease]);
    }
  });

  it('never let processes together past the limit, and refuse until the window frees a request', async () => {
    for (const limit of [200, 250, 1_234, 20_050]) {
      const windows = new Windows();
      windows.now = 5_000;
      const processes = [limiter(windows), limiter(windows), limiter(windows)];
      const principal = windows.key(limit);
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
        // The requests of second 5 leave the window when second 67 begins: 62 s from now.
        expect((refused as IngestError).context.retryAfterSeconds).toBe(62);
      }
      expect(windows.counts).toHaveLength(counts);
      // A minute later, and a calendar minute later, the window still holds them.
      windows.now = 67 * SECOND - 1;
      for (const p of processes) expect(await admitted(p, principal)).toBe(false);
      expect(windows.counts).toHaveLength(counts);
      // A process that did not count yet is refused by its count.
      expect(await admitted(limiter(windows), principal)).toBe(false);
      expect(windows.counts).toHaveLength(counts + 1);
      // Then they leave it.
      windows.now = 67 * SECOND;
      for (const p of processes) expect(await admitted(p, principal)).toBe(true);
    }
  });

  it('hand a lease out for LEASE_MS from before its count was sent, however late the answer', async () => {
    expect(LEASE_MS).toBe(1_000);
    const windows = new Windows();
    const rateLimiter = limiter(windows);
    const principal = windows.key(1_000); // leases of 10
    windows.now = 10 * SECOND;
    windows.held = [];
    const first = rateLimiter.enforce(principal);
    // The answer takes 0.9 s: the lease then has 0.1 s left, not 1 s from the answer's arrival.
    windows.now = 10 * SECOND + 900;
    windows.release();
    await first;
    expect(windows.counts).toEqual([10]);
    windows.now = 11 * SECOND - 1;
    expect(rateLimiter.take(principal)).toBe(true);
    windows.now = 11 * SECOND;
    expect(rateLimiter.take(principal)).toBe(false);
    // The next request counts again, for a new lease; the unused rest of the first still counts.
    await rateLimiter.enforce(principal);
    expect(windows.counts).toEqual([10, 10]);
    expect(windows.counted(principal.apiKeyId)).toBe(20);
  });

  it('let a 10/min key at most 10 requests in any 60 s, across a minute boundary, on two processes', async () => {
    const windows = new Windows();
    const processes = [limiter(windows), limiter(windows)];
    const principal = windows.key(10);
    // Ten just before a minute's end and ten just after it: a window per calendar minute let all 20 by.
    windows.now = MINUTE - 500;
    for (let i = 0; i < 10; i++) expect(await admitted(processes[i % 2]!, principal)).toBe(true);
    windows.now = MINUTE + 200;
    for (let i = 0; i < 10; i++) expect(await admitted(processes[i % 2]!, principal)).toBe(false);

    // One request a second for three minutes, alternating processes: ten, then none until the first
    // ten's second has left the window (62 s later), and so on.
    const fresh = new Windows();
    const two = [limiter(fresh), limiter(fresh)];
    const steady = fresh.key(10, 'steady');
    const passed: number[] = [];
    for (let s = 0; s < 180; s++) {
      fresh.now = s * SECOND;
      if (await admitted(two[s % 2]!, steady)) passed.push(s);
    }
    const run = (from: number) => Array.from({ length: 10 }, (_, i) => from + i);
    expect(passed).toEqual([...run(0), ...run(62), ...run(124)]);
    expect(
      mostWithin(
        passed.map((s) => s * SECOND),
        MINUTE,
      ),
    ).toBe(10);
  });

  it('hold the bound at the moment requests are used, with leases on three processes', async () => {
    // A small seeded generator: the same clock steps on every run.
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const limit of [10, 600, 5_000]) {
      const windows = new Windows();
      const processes = [limiter(windows), limiter(windows), limiter(windows)];
      const principal = windows.key(limit);
      const used: number[] = [];
      // Ten simulated minutes of requests offered at about twice the limit, with a pause of up to 3 s
      // now and then (leases expire), each request on any of the processes.
      while (windows.now < 10 * MINUTE) {
        const pause = random() < 0.002;
        windows.now += Math.floor(random() * (pause ? 3 * SECOND : MINUTE / limit));
        if (await admitted(processes[Math.floor(random() * 3)]!, principal)) used.push(windows.now);
      }
      expect(mostWithin(used, MINUTE)).toBeLessThanOrEqual(limit);
      // And the key is not starved: over ten minutes, well over half its limit a minute.
      expect(used.length).toBeGreaterThan(10 * limit * 0.5);
    }
  });

  it('need a live feed: without it every request is counted on its own', async () => {
    const windows = new Windows();
    const feed = { live: true, epoch: 1 };
    const rateLimiter = limiter(windows, feed);
    const principal = windows.key(500); // leases of 5
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
    const principal = windows.key(400); // leases of 4

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
