import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import {
  createDatabaseIfMissing,
  createPool,
  ensureAppRole,
  ensureStatementsExtension,
  hasIngestSchema,
  migrate,
  serverVersion,
} from '../db/index.js';
import { coerceError, IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';
import { BACKUP_FILES, objectPath, readBackupManifest } from './backup-manifest.js';
import { findPgClientTools, runDatabaseTool } from './pg-client-tools.js';

export interface RestoreOptions {
  dir: string;
  /** The database to restore into: created when missing, refused when it holds ingest's schema. */
  connectionString: string;
  store: ObjectStore;
  pgBin?: string;
  log: Logger;
}

export interface RestoreResult {
  schemas: string[];
  /** Objects put back into the store (copy mode) or found there (manifest mode). */
  objects: number;
  /** Keys the backup lists that are neither in it nor in the store. */
  missingObjects: string[];
  /** Migrations newer than the backup, applied after it. */
  migrationsApplied: string[];
}

/**
 * Restores a backup folder made by createBackup: checks the manifest and the dumps' checksums, creates
 * the database if needed (refusing one that already holds ingest's schema), restores each dump in one
 * transaction as the login role, puts every object back with its SHA-256 verified by the store, and
 * applies the migrations newer than the backup.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { dir, store, log } = options;
  const manifest = await readBackupManifest(dir);
  await ensureDatabase(options.connectionString);
  const pool = createPool(options.connectionString, { max: 2 });
  try {
    if (await hasIngestSchema(pool)) {
      throw new IngestError(
        'RESTORE_TARGET_NOT_EMPTY',
        `the database ${databaseName(options.connectionString)} already holds ingest's schema; restore into a new or empty database`,
      );
    }
    const version = await serverVersion(pool);
    const tools = await findPgClientTools(Math.floor(version.num / 10_000), options.pgBin);
    // The dumps grant to the application role, which lives in the cluster, not in a dump.
    await ensureAppRole(pool);
    for (const file of [BACKUP_FILES.database, BACKUP_FILES.migrations]) {
      await runDatabaseTool(
        tools.pgRestore,
        ['--no-owner', '--exit-on-error', '--single-transaction', join(dir, file)],
        options.connectionString,
      );
    }
    if (!(await ensureStatementsExtension(pool)))
      log.info('pg_stat_statements not available: logs.slow_queries reads ingest timings');
    log.info({ schemas: manifest.schemas }, 'database restored');

    const missingObjects = [...manifest.objects.missing];
    let objects = 0;
    for (const item of manifest.objects.items) {
      if (manifest.objects.mode === 'copy') {
        const path = objectPath(dir, item.key);
        const size = await stat(path).then(
          (s) => s.size,
          () => null,
        );
        if (size === null) {
          throw new IngestError('BACKUP_INVALID', `${path} is missing from the backup`, { file: path });
        }
        await store.put(item.key, createReadStream(path), { size, sha256: item.sha256 });
        objects++;
      } else if (await store.head(item.key)) objects++;
      else missingObjects.push(item.key);
    }
    if (missingObjects.length > 0)
      log.warn({ missing: missingObjects.length }, 'objects missing after restore');
    const { applied } = await migrate(pool);
    return { schemas: manifest.schemas, objects, missingObjects, migrationsApplied: applied };
  } finally {
    await pool.end();
  }
}

function databaseName(connectionString: string): string {
  return decodeURIComponent(new URL(connectionString).pathname.slice(1)) || 'postgres';
}

/** Creates the target database through the server's `postgres` database when it does not exist. */
async function ensureDatabase(connectionString: string): Promise<void> {
  const name = databaseName(connectionString);
  const maintenance = new URL(connectionString);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), application_name: 'ingest' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await createDatabaseIfMissing(client, name);
  } catch (err) {
    throw coerceError(err, { database: name });
  } finally {
    await client.end().catch(() => undefined);
  }
}
