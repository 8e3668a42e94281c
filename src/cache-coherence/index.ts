export { AuthCache } from './auth-cache.js';
export { ChangeFeed } from './change-feed.js';
export type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';
export { MembershipCache, type MembershipToken } from './membership-cache.js';
export { RateLimiter } from './rate-limiter.js';
export { ReadCache } from './read-cache.js';
export { UnknownKeyCache } from './unknown-key-cache.js';
