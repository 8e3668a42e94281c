import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { ensureOrganization, type Organization } from '../../src/db/index.js';
import { openServices, type Services } from '../../src/ingest/index.js';
import type { ChunkPool } from '../../src/workers/index.js';
import { assertPoolReleased, createTestDatabase } from './database.js';

export interface TestEnvironment {
  services: Services;
  /** A pool as the login role (no tenant context): for assertions that look across organizations. */
  admin: pg.Pool;
  url: string;
  home: string;
  /** How many chunks the worker pool has processed since the environment was created. */
  chunkTasks(): number;
  organization(slug: string): Promise<Organization>;
  close(): Promise<void>;
}

/** A fresh database (from the migrated template), a temporary INGEST_HOME, and services on both. */
export async function createTestEnvironment(options: { threads?: number } = {}): Promise<TestEnvironment> {
  const db = await createTestDatabase();
  const home = await mkdtemp(join(tmpdir(), 'ingest-test-'));
  const config = loadConfig({ DATABASE_URL: db.url, INGEST_HOME: home });
  const services = await openServices(config, { threads: options.threads ?? 2 });
  let tasks = 0;
  const inner: ChunkPool = services.workers;
  services.workers = {
    threads: inner.threads,
    run(task) {
      tasks++;
      return inner.run(task);
    },
    sniff: (task) => inner.sniff(task),
    close: () => inner.close(),
  };
  return {
    services,
    admin: db.pool,
    url: db.url,
    home,
    chunkTasks: () => tasks,
    organization: async (slug) => (await ensureOrganization(db.pool, slug)).organization,
    async close() {
      // Before ending them: end() would wait forever for a leaked client instead of naming the leak.
      assertPoolReleased(services.pool);
      assertPoolReleased(db.pool);
      await services.close();
      await db.drop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
