import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('INGEST_READ_CACHE_SIZE', () => {
  it('is a size, 0 turns the cache off, and anything else is refused naming the variable', () => {
    expect(loadConfig({}).readCacheBytes).toBeUndefined();
    expect(loadConfig({ INGEST_READ_CACHE_SIZE: '64MB' }).readCacheBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ INGEST_READ_CACHE_SIZE: '0' }).readCacheBytes).toBe(0);
    expect(() => loadConfig({ INGEST_READ_CACHE_SIZE: 'lots' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', context: { option: 'INGEST_READ_CACHE_SIZE' } }),
    );
  });
});
