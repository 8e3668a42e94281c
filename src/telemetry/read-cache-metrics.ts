import { Counter, Gauge } from 'prom-client';
import { registry } from './registry.js';

const hits = new Counter({
  name: 'ingest_read_cache_hits_total',
  help: 'Read-endpoint answers served from the in-memory read cache.',
  registers: [registry],
});

const misses = new Counter({
  name: 'ingest_read_cache_misses_total',
  help: 'Read-endpoint answers read from the database (not in the cache, or the cache not live).',
  registers: [registry],
});

let hitCount = 0;
let missCount = 0;

// The ratio since the process started, for dashboards without PromQL; rate(hits) / rate(hits + misses)
// gives the recent one.
new Gauge({
  name: 'ingest_read_cache_hit_ratio',
  help: 'Share of read-endpoint answers served from the read cache since the process started (0-1).',
  registers: [registry],
  collect() {
    const total = hitCount + missCount;
    this.set(total === 0 ? 0 : hitCount / total);
  },
});

/** Counts one answer of the read cache: from memory (hit) or from the database (miss). */
export function recordReadCacheLookup(hit: boolean): void {
  if (hit) {
    hitCount++;
    hits.inc();
  } else {
    missCount++;
    misses.inc();
  }
}
