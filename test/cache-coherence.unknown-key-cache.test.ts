import { describe, expect, it } from 'vitest';
import { UnknownKeyCache } from '../src/cache-coherence/index.js';

/** UnknownKeyCache on an injected clock and feed state (the server's use is in server.auth-flood.test.ts). */
describe('UnknownKeyCache', () => {
  const setUp = (ttlMs = 1_000, max = 2) => {
    const clock = { now: 0 };
    const feed = { live: true, epoch: 1 };
    return { clock, feed, cache: new UnknownKeyCache(feed, ttlMs, max, () => clock.now) };
  };

  it('remembers a prefix for the TTL, and at most its size, the oldest going first', () => {
    const { clock, cache } = setUp();
    cache.add('a', cache.begin());
    cache.add('b', cache.begin());
    cache.add('c', cache.begin());
    expect(cache.size).toBe(2);
    expect(cache.has('a')).toBe(false);
    expect(cache.has('b')).toBe(true);
    clock.now = 999;
    expect(cache.has('c')).toBe(true);
    clock.now = 1_000;
    expect(cache.has('c')).toBe(false);
  });

  it('forgets every prefix on any key change, and keeps none looked up while a key changed', () => {
    const { cache } = setUp();
    cache.add('a', cache.begin());
    // A key's creation notifies with its id, not its prefix: every prefix goes.
    cache.change({ kind: 'apiKey', organizationId: 'o', id: 'new key' });
    expect(cache.has('a')).toBe(false);
    const token = cache.begin();
    cache.change({ kind: 'apiKey', organizationId: 'o', id: 'new key' });
    cache.add('b', token);
    expect(cache.has('b')).toBe(false);
    // A file's change is not a key's.
    cache.add('c', cache.begin());
    cache.change({ kind: 'file', organizationId: 'o', id: 'f' });
    expect(cache.has('c')).toBe(true);
  });

  it('keeps and serves nothing while the feed is not live, nor across its going down or up', () => {
    const { feed, cache } = setUp();
    cache.add('a', cache.begin());
    feed.live = false;
    expect(cache.has('a')).toBe(false);
    expect(cache.begin()).toBeNull();
    cache.add('b', null);
    feed.live = true;
    expect(cache.has('b')).toBe(false);
    const token = cache.begin();
    feed.epoch = 3;
    cache.add('c', token);
    expect(cache.has('c')).toBe(false);
    cache.add('d', cache.begin());
    cache.reset();
    expect(cache.has('d')).toBe(false);
    expect(cache.size).toBe(0);
  });
});
