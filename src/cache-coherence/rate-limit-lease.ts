/** Most requests one count takes ahead for a key. */
export const MAX_LEASE = 1000;

/**
 * Requests one count takes ahead for a key with `limit` per minute: 1% of the limit, at least 1 and at
 * most MAX_LEASE. Keys with a limit under 200 are counted one request at a time.
 */
export function leaseSize(limit: number): number {
  return Math.min(MAX_LEASE, Math.max(1, Math.floor(limit / 100)));
}

/**
 * A key's requests this process counted in PostgreSQL ahead of using them, for one window. Held only
 * while the change feed is live (see RateLimiter); dropped on the key's change and on every reset.
 */
export interface Lease {
  /** Requests counted in PostgreSQL and not yet used by this process. */
  remaining: number;
  /** The window's limit is reached: refused here until the window ends. */
  exhausted: boolean;
  /** now() at which the counted window ends. */
  windowEndsAt: number;
  /** A count in flight; requests wait for it instead of counting again. Resolves, never rejects. */
  pending: Promise<void> | null;
}

/** A lease whose count is in flight: it grants nothing until `settleLease` fills it in. */
export function emptyLease(): Lease {
  return { remaining: 0, exhausted: false, windowEndsAt: 0, pending: null };
}

/**
 * Fills in `lease` from a count of `requests` (the one being served and those taken ahead) that
 * brought the window to `counted.count`; returns how many of them were within `limit` (0: refused).
 * `sentAt` is now() from before the count was sent: the window's end is reckoned from it, so a lease
 * never outlasts the window it was counted in, however long the answer took to come back.
 */
export function settleLease(
  lease: Lease,
  requests: number,
  limit: number,
  counted: { count: number; msLeft: number },
  sentAt: number,
): number {
  // Requests of this count within the limit: the window held count - requests before it.
  const granted = Math.max(0, Math.min(requests, limit - (counted.count - requests)));
  lease.remaining = Math.max(0, granted - 1);
  lease.exhausted = granted < requests;
  lease.windowEndsAt = sentAt + counted.msLeft;
  return granted;
}
