import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '../../src/api-keys/index.js';
import { createOrganization } from '../../src/db/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { type ServeProcess, spawnServe } from './serve-process.js';

/** A real `ingest serve` process over a database and an INGEST_HOME of its own, with one organization. */
export interface ServedOrganization {
  db: TestDatabase;
  home: string;
  server: ServeProcess;
  /** The server's environment: the database, the home folder, warn-level logs and the extra settings. */
  env: Record<string, string>;
  /** A files:write and files:read key of the organization. */
  key: string;
  /** Stops the server, drops the database and removes the home folder. */
  close(): Promise<void>;
}

/**
 * Starts `ingest serve` (the built CLI) with `settings` added to its environment, then makes the
 * organization `slug` and a key for it. What was made is removed again if a step fails.
 */
export async function serveOrganization(
  slug: string,
  homePrefix: string,
  settings: Record<string, string> = {},
): Promise<ServedOrganization> {
  let server: ServeProcess | undefined;
  let home: string | undefined;
  const db = await createTestDatabase();
  const close = async () => {
    await server?.stop();
    await db.drop();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  };
  try {
    home = await mkdtemp(join(tmpdir(), homePrefix));
    const env = { DATABASE_URL: db.url, INGEST_HOME: home, INGEST_LOG_LEVEL: 'warn', ...settings };
    server = await spawnServe(env);
    const org = await createOrganization(db.pool, { slug });
    const { key } = await createApiKey(db.pool, {
      organizationId: org.id,
      scopes: ['files:write', 'files:read'],
      actor: 'test',
    });
    return { db, home, server, env, key, close };
  } catch (err) {
    await close();
    throw err;
  }
}
