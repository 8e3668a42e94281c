import { Gauge } from 'prom-client';
import { registry } from './registry.js';

/** The counts node-postgres keeps on a pool (a subset of pg.Pool). */
export interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options: { max?: number };
}

const pools = new Set<PoolCounts>();

function sum(read: (pool: PoolCounts) => number): number {
  let total = 0;
  for (const pool of pools) total += read(pool);
  return total;
}

new Gauge({
  name: 'ingest_db_pool_connections',
  help: 'Connections of the database pools, by state: in_use (checked out), idle, and max (the cap).',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.set(
      { state: 'in_use' },
      sum((p) => p.totalCount - p.idleCount),
    );
    this.set(
      { state: 'idle' },
      sum((p) => p.idleCount),
    );
    this.set(
      { state: 'max' },
      sum((p) => p.options.max ?? 10),
    );
  },
});

new Gauge({
  name: 'ingest_db_pool_waiting',
  help: 'Requests waiting for a database connection (all connections in use).',
  registers: [registry],
  collect() {
    this.set(sum((p) => p.waitingCount));
  },
});

/** Reports `pool` in the pool gauges until the returned function is called. */
export function registerPoolMetrics(pool: PoolCounts): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}
