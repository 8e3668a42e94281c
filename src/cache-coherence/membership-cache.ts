import { PEOPLE_LIMITS } from '../limits.js';
import type { ChangeFeedState } from './change-subscriber.js';
import { FeedGuardedTtlMap, type FeedToken } from './feed-guarded-ttl-map.js';

/** Taken before looking a user's access up, and handed back to `set` with what was found. */
export type MembershipToken = FeedToken;

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
export class MembershipCache<V> extends FeedGuardedTtlMap<V> {
  constructor(
    feed: ChangeFeedState,
    ttlMs: number = PEOPLE_LIMITS.membershipCacheTtlMs,
    maxEntries: number = PEOPLE_LIMITS.membershipCacheEntries,
    now?: () => number,
  ) {
    super(feed, 'membership', ttlMs, maxEntries, now);
  }
}
