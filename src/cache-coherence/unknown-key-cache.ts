import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';
import { FeedGuardedTtlMap, type FeedToken } from './feed-guarded-ttl-map.js';

/** How long a prefix found unknown is refused without asking the database, in milliseconds. */
export const UNKNOWN_KEY_TTL_MS = 5_000;
/** Prefixes remembered at most; past it the oldest goes. Bounds memory whatever keys clients send. */
export const UNKNOWN_KEY_MAX_PREFIXES = 10_000;

/** Taken before looking a prefix up, and handed back to `add` when nothing was found. */
export type UnknownKeyToken = FeedToken;

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
  /** Prefix -> found unknown; the map holds the TTL, the bound and the feed protocol. */
  private readonly prefixes: FeedGuardedTtlMap<true>;

  constructor(
    feed: ChangeFeedState,
    ttlMs = UNKNOWN_KEY_TTL_MS,
    maxPrefixes = UNKNOWN_KEY_MAX_PREFIXES,
    now?: () => number,
  ) {
    this.prefixes = new FeedGuardedTtlMap<true>(feed, 'apiKey', ttlMs, maxPrefixes, now);
  }

  /** True when `prefix` was found unknown less than the TTL ago and no key changed since. */
  has(prefix: string): boolean {
    return this.prefixes.get(prefix) !== undefined;
  }

  /** Null when nothing may be kept now (feed not live): look up and refuse uncached. */
  begin(): UnknownKeyToken | null {
    return this.prefixes.begin();
  }

  /** Remembers `prefix` as unknown, unless a key changed or the feed went down or up since `token`. */
  add(prefix: string, token: UnknownKeyToken | null): void {
    this.prefixes.set(prefix, true, token);
  }

  change(change: Change): void {
    this.prefixes.change(change);
  }

  reset(): void {
    this.prefixes.reset();
  }

  get size(): number {
    return this.prefixes.size;
  }
}
