import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';

/** Taken before looking something up, and handed back to `set` with what was found. */
export interface FeedToken {
  readonly epoch: number;
  readonly changes: number;
}

/**
 * A bounded map of answers looked up in the database, each kept for a TTL, that stays true to the
 * database through the change feed: it keeps and serves nothing while the feed is not live, forgets
 * every entry on any change of its `kind` (or when the feed resets), and keeps an answer only if no such
 * change arrived and the feed did not go down or up while it was looked up (`begin`/`set`). Past
 * `maxEntries` the oldest entry goes, so memory is bounded whatever keys clients send. The protocol this
 * relies on is described at the top of change-feed.ts; MembershipCache and UnknownKeyCache are this map
 * for their kind of change.
 */
export class FeedGuardedTtlMap<V> implements ChangeSubscriber {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  /** Changes of `kind` heard of so far. */
  private changes = 0;

  constructor(
    private readonly feed: ChangeFeedState,
    private readonly kind: Change['kind'],
    private readonly ttlMs: number,
    private readonly maxEntries: number,
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
  begin(): FeedToken | null {
    if (!this.feed.live) return null;
    return { epoch: this.feed.epoch, changes: this.changes };
  }

  /** Keeps `value`, unless a change of `kind` arrived or the feed went down or up since `token`. */
  set(key: string, value: V, token: FeedToken | null): void {
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
    if (change.kind !== this.kind) return;
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
