import type { CountedRequests } from '../db/index.js';

/** Most requests one count takes ahead for a key. */
export const MAX_LEASE = 1000;

/**
 * How long after a count was sent its requests may be handed out, in milliseconds. The sliding window
 * in PostgreSQL (migration 0011) reaches back 61 s or more so that requests used up to this long after
 * their count still fall in every 60 s interval the window checks: at most the limit in any 60 s.
 * Long enough for a lease of 1% of the limit to be used at any rate above 60% of the limit.
 */
export const LEASE_MS = 1_000;

/**
 * Requests one count takes ahead for a key with `limit` per minute: 1% of the limit, at least 1 and at
 * most MAX_LEASE. Keys with a limit under 200 are counted one request at a time.
 */
export function leaseSize(limit: number): number {
  return Math.min(MAX_LEASE, Math.max(1, Math.floor(limit / 100)));
}

/**
 * A key's requests this process counted in PostgreSQL ahead of using them. Held only while the change
 * feed is live (see RateLimiter); dropped on the key's change and on every reset.
 */
export interface Lease {
  /** Requests counted in PostgreSQL and not yet used by this process. */
  remaining: number;
  /** now() after which the remaining requests are no longer handed out (LEASE_MS after the count). */
  expiresAt: number;
  /** The count found the limit reached: refused here, without counting, until this now(). 0 otherwise. */
  refusedUntil: number;
  /** A count in flight; requests wait for it instead of counting again. Resolves, never rejects. */
  pending: Promise<void> | null;
}

/** A lease whose count is in flight: it grants nothing until `settleLease` fills it in. */
export function emptyLease(): Lease {
  return { remaining: 0, expiresAt: 0, refusedUntil: 0, pending: null };
}

/**
 * Fills in `lease` from a count of `requests` (the one being served and those taken ahead); returns
 * how many of them were granted (0: refused). `sentAt` is now() from before the count was sent: the
 * lease's end is reckoned from it, so its requests are used within LEASE_MS of the count however long
 * the answer took to come back.
 */
export function settleLease(
  lease: Lease,
  requests: number,
  counted: CountedRequests,
  sentAt: number,
): number {
  const granted = Math.max(0, Math.min(requests, counted.granted));
  lease.remaining = Math.max(0, granted - 1);
  lease.expiresAt = sentAt + LEASE_MS;
  lease.refusedUntil = granted < requests ? sentAt + counted.retryAfterMs : 0;
  return granted;
}
