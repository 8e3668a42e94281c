import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';

/** How long a prefix found unknown is refused without asking the database, in milliseconds. */
export const UNKNOWN_KEY_TTL_MS = 5_000;
/** Prefixes remembered at most; past it the oldest goes. Bounds memory whatever keys clients send. */
export const UNKNOWN_KEY_MAX_PREFIXES = 10_000;

/** Taken before looking a prefix up, and handed back to `add` when nothing was found. */
export interface UnknownKeyToken {
  readonly epoch: number;
  readonly changes: number;
}

/**
 * Key prefixes that no key had when last looked up, so that clients sending a key that does not exist
 * (a deleted key left in a fleet's configuration, a guessing script) cost one look-up per prefix and
 * TTL instead of a database transaction per request.
 *
 * Sound only because every key's creation notifies (migration 0011's trigger; its revocation and
 * deletion already did, migration 0009): any key change, from any process, forgets every prefix, since
 * the notification names the key's id and not its prefix (keys are created rarely). Like ReadCache it
 * keeps and serves nothing while the change feed is not live, and keeps a prefix only if no key
 * changed and the feed did not go down or up while it was being looked up (`begin`/`add`): a key that
 * committed during the look-up either reached this cache before the prefix was kept (not kept) or
 * drops it on arrival. So a prefix is refused here at most one notification delivery after its key
 * was created, in every server process. The protocol this relies on is described at the top of
 * change-feed.ts.
 *
 * An unknown prefix is refused sooner from here than a wrong secret is; that tells a client only that
 * a prefix does not exist, which the prefix (not secret: it is shown in listings) does not protect.
 */
export class UnknownKeyCache implements ChangeSubscriber {
  /** Prefix -> now() at which it expires. */
  private readonly entries = new Map<string, number>();
  /** Key changes heard of so far. */
  private changes = 0;

  constructor(
    private readonly feed: ChangeFeedState,
    private readonly ttlMs = UNKNOWN_KEY_TTL_MS,
    private readonly maxPrefixes = UNKNOWN_KEY_MAX_PREFIXES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when `prefix` was found unknown less than the TTL ago and no key changed since. */
  has(prefix: string): boolean {
    if (!this.feed.live) return false;
    const expiresAt = this.entries.get(prefix);
    if (expiresAt === undefined) return false;
    if (expiresAt <= this.now()) {
      this.entries.delete(prefix);
      return false;
    }
    return true;
  }

  /** Null when nothing may be kept now (feed not live): look up and refuse uncached. */
  begin(): UnknownKeyToken | null {
    if (!this.feed.live) return null;
    return { epoch: this.feed.epoch, changes: this.changes };
  }

  /** Remembers `prefix` as unknown, unless a key changed or the feed went down or up since `token`. */
  add(prefix: string, token: UnknownKeyToken | null): void {
    if (!token || !this.feed.live || this.feed.epoch !== token.epoch || this.changes !== token.changes)
      return;
    this.entries.delete(prefix);
    if (this.entries.size >= this.maxPrefixes) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(prefix, this.now() + this.ttlMs);
  }

  change(change: Change): void {
    if (change.kind !== 'apiKey') return;
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
