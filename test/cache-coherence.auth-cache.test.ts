import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthCache } from '../src/cache-coherence/index.js';
import { startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('AuthCache', () => {
  it('refuses a wrong secret for a prefix whose key is cached', async () => {
    const { key } = await t.key('cached');
    expect((await t.request('/v1/usage', key)).status).toBe(200);
    const secret = key.slice(key.lastIndexOf('_') + 1);
    const wrong = `${key.slice(0, key.length - secret.length)}${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    const res = await t.request('/v1/usage', wrong);
    expect(res.status).toBe(401);
    expect((await t.request('/v1/usage', key)).status).toBe(200);
  });

  it('expires entries after the TTL and drops the oldest past its size', () => {
    let now = 0;
    const cache = new AuthCache(1000, 2, () => now);
    const principal = (id: string) => ({
      apiKeyId: id,
      organizationId: id,
      organizationSlug: id,
      scopes: [],
      rateLimitPerMinute: 1,
    });
    const hash = Buffer.alloc(32);
    cache.set('a', hash, principal('a'), cache.begin());
    cache.set('b', hash, principal('b'), cache.begin());
    cache.set('c', hash, principal('c'), cache.begin());
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')?.principal.apiKeyId).toBe('b');
    now = 1000;
    expect(cache.get('c')).toBeUndefined();
    expect(cache.size).toBe(1);
  });

  it('keeps no key read while a key changed, and drops a changed key', () => {
    const cache = new AuthCache();
    const principal = {
      apiKeyId: 'k',
      organizationId: 'o',
      organizationSlug: 'o',
      scopes: [],
      rateLimitPerMinute: 1,
    };
    const hash = Buffer.alloc(32);
    const before = cache.begin();
    cache.change({ kind: 'apiKey', organizationId: 'o', id: 'other' });
    cache.set('p', hash, principal, before);
    expect(cache.get('p')).toBeUndefined();
    cache.set('p', hash, principal, cache.begin());
    expect(cache.get('p')).toBeDefined();
    cache.change({ kind: 'apiKey', organizationId: 'o', id: 'k' });
    expect(cache.get('p')).toBeUndefined();
  });
});
