import { randomBytes } from 'node:crypto';
import pg from 'pg';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server: DATABASE_URL, or the embedded server started by the global setup. */
    databaseUrl: string;
    /** A database with every migration applied, cloned by createTestDatabase. */
    templateDatabase: string;
  }
}

/** The same server as `url`, database `database`. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export interface TestDatabase {
  /** Connection string of this test's own database. */
  url: string;
  name: string;
  pool: pg.Pool;
  /** Fails if the pool has a client checked out; else ends the pool and drops the database (WITH (FORCE)). */
  drop(): Promise<void>;
}

// CREATE DATABASE fails with object_in_use (55006) while any session is connected to the template, e.g.
// a concurrent worker's clone in flight on some versions; a short retry rides it out.
const CLONE_ATTEMPTS = 5;

/**
 * A database of this test file's own, cloned from the migrated template (or empty, with `empty: true`), so
 * test files never see each other's rows. Call in beforeAll, and `drop()` in afterAll.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  // Imported here, not at the top: the global setup imports this module too, and vitest's runtime API
  // cannot load outside a test worker.
  const { inject } = await import('vitest');
  const serverUrl = inject('databaseUrl');
  const template = options.empty ? 'template0' : inject('templateDatabase');
  const name = `ingest_t_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`,
        );
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt >= CLONE_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  });
  const url = withDatabase(serverUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'ingest-test' });
  // An idle client killed by DROP ... WITH (FORCE) emits 'error' on the pool; that is expected at drop().
  pool.on('error', () => undefined);
  let dropped = false;
  return {
    url,
    name,
    pool,
    async drop() {
      if (dropped) return;
      // Before ending it: end() would wait forever for a leaked client instead of naming the leak.
      assertPoolReleased(pool);
      dropped = true;
      await pool.end();
      await withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

/** Fails when a pool still has a client checked out or a request waiting: the code under test leaked one. */
export function assertPoolReleased(pool: pg.Pool): void {
  if (pool.totalCount !== pool.idleCount || pool.waitingCount !== 0) {
    throw new Error(
      `pool not released: ${pool.totalCount - pool.idleCount} client(s) checked out, ${pool.waitingCount} waiting`,
    );
  }
}

/** Runs `fn` with a short-lived client on `url`, always closing it. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'ingest-test' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
