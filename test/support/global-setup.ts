import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, migrationsFingerprint } from '../../src/db/migrate.js';
import { type DatabaseHandle, openDatabase, removeEmbedded } from '../../src/embedded-postgres/index.js';
import { withClient, withDatabase } from './database.js';

// Serializes template creation across concurrent test runs on one server (DATABASE_URL shared by several
// checkouts). ASCII "ingesttp".
const TEMPLATE_LOCK_KEY = '7597123306846975088';

/**
 * Starts the test database server (DATABASE_URL if set, else a transient embedded server in a temporary
 * home), makes sure the migrated template database exists, and provides both to the test files.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let handle: DatabaseHandle | undefined;
  let home: string | undefined;
  const cleanup = async () => {
    await handle?.release();
    if (home) {
      await removeEmbedded(home);
      await rm(home, { recursive: true, force: true });
    }
  };
  try {
    let serverUrl = process.env.DATABASE_URL;
    if (!serverUrl) {
      home = await mkdtemp(join(tmpdir(), 'ingest-test-'));
      handle = await openDatabase({ home });
      serverUrl = handle.connectionString;
    }
    const template = `ingest_template_${(await migrationsFingerprint()).slice(0, 12)}`;
    await ensureTemplate(serverUrl, template);
    project.provide('databaseUrl', serverUrl);
    project.provide('templateDatabase', template);
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
  return cleanup;
}

/**
 * Creates the template under a temporary name, migrates it and renames it, so the template name only
 * ever denotes a complete database; the advisory lock keeps concurrent runs from building it twice.
 */
async function ensureTemplate(serverUrl: string, template: string): Promise<void> {
  await withClient(serverUrl, async (client) => {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [TEMPLATE_LOCK_KEY]);
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (found.rowCount) return;
      const building = `${template}_build_${randomBytes(4).toString('hex')}`;
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(building)} TEMPLATE template0`);
      try {
        const pool = new pg.Pool({ connectionString: withDatabase(serverUrl, building), max: 1 });
        try {
          await migrate(pool);
        } finally {
          await pool.end();
        }
        await client.query(
          `ALTER DATABASE ${client.escapeIdentifier(building)} RENAME TO ${client.escapeIdentifier(template)}`,
        );
      } catch (err) {
        await client
          .query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(building)} WITH (FORCE)`)
          .catch(() => undefined);
        throw err;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [TEMPLATE_LOCK_KEY]).catch(() => undefined);
    }
  });
}
