import { describe, expect, it } from 'vitest';
import { ReadCache } from '../src/cache-coherence/index.js';

/** The feed's state as the cache reads it; the live feed is exercised in cache-coherence.read-cache.test.ts. */
function feedState() {
  return { live: true, epoch: 1 };
}

const body = (bytes: number) => Buffer.alloc(bytes, 'x');

describe('ReadCache', () => {
  it('stays within its byte bound, dropping the least recently used answer first', () => {
    // Each answer below is charged about 1.2 KB (body, key and bookkeeping): 13 fit.
    const cache = new ReadCache(feedState(), 16_000);
    const token = cache.begin()!;
    cache.set(token, 'a', 'org', 'fa', body(900));
    cache.set(token, 'b', 'org', 'fb', body(900));
    expect(cache.get('a')).toBeDefined(); // a is now the most recently used
    for (let i = 0; i < 14; i++) cache.set(token, `c${i}`, 'org', `fc${i}`, body(900));
    expect(cache.size).toBeLessThanOrEqual(16_000);
    expect(cache.size).toBeGreaterThan(14_000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    // One answer over an eighth of the bound is never kept.
    cache.set(token, 'big', 'org', 'fbig', body(2_001));
    expect(cache.get('big')).toBeUndefined();
  });

  it("keeps no answer read while its organization changed, and drops a file's and its listings", () => {
    const cache = new ReadCache(feedState(), 1_000_000);
    const before = cache.begin()!;
    cache.change({ kind: 'file', organizationId: 'org', id: 'f1' });
    cache.set(before, 'stale', 'org', 'f1', body(10));
    expect(cache.get('stale')).toBeUndefined();
    // Another organization's change does not concern this read.
    cache.set(before, 'other', 'org2', 'f9', body(10));
    expect(cache.get('other')).toBeDefined();

    const token = cache.begin()!;
    cache.set(token, 'metrics f1', 'org', 'f1', body(10));
    cache.set(token, 'metrics f2', 'org', 'f2', body(10));
    cache.set(token, 'listing', 'org', null, body(10));
    cache.change({ kind: 'file', organizationId: 'org', id: 'f1' });
    expect(cache.get('metrics f1')).toBeUndefined();
    expect(cache.get('listing')).toBeUndefined();
    expect(cache.get('metrics f2')).toBeDefined();
    expect(cache.get('other')).toBeDefined();
  });

  it('keeps and serves nothing while the feed is down, nor what was read across an outage', () => {
    const feed = feedState();
    const cache = new ReadCache(feed, 1_000_000);
    const token = cache.begin()!;
    cache.set(token, 'kept', 'org', 'f1', body(10));
    feed.live = false;
    expect(cache.begin()).toBeNull();
    expect(cache.get('kept')).toBeUndefined();
    feed.live = true;
    feed.epoch = 2;
    cache.reset();
    cache.set(token, 'across', 'org', 'f2', body(10));
    expect(cache.get('across')).toBeUndefined();
    expect(new ReadCache(feed, 0).begin()).toBeNull();
  });
});
