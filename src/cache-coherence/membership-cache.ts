import { PEOPLE_LIMITS } from '../limits.js';
import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';

/** Taken before looking a user's access up, and handed back to `set` with what was found. */
export interface MembershipToken {
  readonly epoch: number;
  readonly changes: number;
}

/**
 * What a signed-in user may do in an organization, as last looked up (the user's row, its role and
 * whether it comes from an agency), by (token subject, organization slug): a busy dashboard's requests
 * then cost no transaction each. Entries hold whatever the server stores (`V`).
 *
 * Sound because every change to who is a member of what (a membership added, its role changed, removed;
 * an organization's agency changed or the organization deleted) notifies (migration 0030's triggers), and
 * any such notification, from any process, forgets every entry: access through an agency depends on
 * rows of another organization, and memberships change rarely. Like UnknownKeyCache it keeps and serves
 * nothing while the change feed is not live, and keeps an answer only if no membership changed and the
 * feed did not go down or up while it was looked up (`begin`/`set`). So removing a member ends their
 * access on their next request in every server process, one notification delivery after the removal
 * commits. The protocol this relies on is described at the top of change-feed.ts.
 */
export class MembershipCache<V> implements ChangeSubscriber {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /** Membership changes heard of so far. */
  private changes = 0;

  constructor(
    private readonly feed: ChangeFeedState,
    private readonly ttlMs: number = PEOPLE_LIMITS.membershipCacheTtlMs,
    private readonly maxEntries: number = PEOPLE_LIMITS.membershipCacheEntries,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string): V | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Null when nothing may be kept now (feed not live). */
  begin(): MembershipToken | null {
    if (!this.feed.live) return null;
    return { epoch: this.feed.epoch, changes: this.changes };
  }

  /** Keeps `value`, unless a membership changed or the feed went down or up since `token`. */
  set(key: string, value: V, token: MembershipToken | null): void {
    if (!token || !this.feed.live || this.feed.epoch !== token.epoch || this.changes !== token.changes)
      return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  change(change: Change): void {
    if (change.kind !== 'membership') return;
    this.changes++;
    this.entries.clear();
  }

  reset(): void {
    this.changes++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
