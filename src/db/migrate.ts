import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { coerceError, IngestError } from '../errors.js';
import { logger } from '../logger.js';
import { sourceAsset } from '../paths.js';
import { JOB_QUEUE_SCHEMA, migrateJobQueue } from './job-queue-schema.js';

/**
 * Session advisory lock key held for a whole migration run, so concurrent processes (two CLI commands,
 * test workers, servers behind a load balancer) apply each file once. The bytes are ASCII "ingestmg";
 * any constant works as long as nothing else on the server uses it.
 */
export const MIGRATION_LOCK_KEY = '7597123306846973287'; // 0x696e676573746d67

// Months of logs.activity_log partitions created ahead of time by every run.
const ACTIVITY_PARTITION_MONTHS_AHEAD = 12;

interface MigrationFile {
  name: string;
  sql: string;
  sha256: string;
}

/** The plain .sql files of src/db/migrations, in file-name order (0001_..., 0002_...). */
async function migrationFiles(): Promise<MigrationFile[]> {
  const dir = sourceAsset('db/migrations');
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new IngestError(
      'INTERNAL',
      `cannot read the migration files in ${dir}; is the package complete?`,
      {},
      { cause: err },
    );
  }
  // Code-unit order, not locale order: the same on every machine (0010_x after 0009_y).
  const names = entries.filter((name) => name.endsWith('.sql')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS public.ingest_migrations (
  name text PRIMARY KEY,
  sha256 text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies every migration file not yet recorded in public.ingest_migrations, in file-name order, each in
 * its own transaction, then creates upcoming activity-log partitions. Fails (DATABASE_ERROR, naming the
 * file) when an applied file was edited afterwards: migrations are append-only. Returns the names applied.
 */
export async function migrate(pool: pg.Pool): Promise<{ applied: string[] }> {
  const files = await migrationFiles();
  const log = logger.child({ stage: 'migrate' });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw coerceError(err);
  }
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_TABLE);
      const recorded = await appliedChecksums(client);
      for (const file of files) {
        const sha = recorded.get(file.name);
        if (sha !== undefined && sha !== file.sha256) {
          throw new IngestError(
            'DATABASE_ERROR',
            `migration ${file.name} was changed after it was applied (recorded sha256 ${sha.slice(0, 12)}..., file ${file.sha256.slice(0, 12)}...); restore it and put the change in a new migration file`,
            { file: file.name },
          );
        }
      }
      const applied: string[] = [];
      for (const file of files) {
        if (recorded.has(file.name)) continue;
        await applyOne(client, file);
        applied.push(file.name);
        log.info({ migration: file.name }, 'migration applied');
      }
      await client.query('SELECT logs.ensure_activity_partitions($1)', [ACTIVITY_PARTITION_MONTHS_AHEAD]);
      const queue = await migrateJobQueue(client);
      if (queue !== 'current') log.info({ schema: JOB_QUEUE_SCHEMA }, `job queue schema ${queue}`);
      return { applied };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY])
        .catch((err: Error) => {
          broken = err; // the session is unusable; releasing it with the error discards it (and its lock)
        });
    }
  } catch (err) {
    if (!(err instanceof IngestError)) broken ??= err as Error;
    throw coerceError(err);
  } finally {
    client.release(broken);
  }
}

/** Names of the migration files not yet applied to this database, in the order migrate applies them. */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const files = await migrationFiles();
  try {
    const exists = await pool.query<{ t: string | null }>(
      "SELECT to_regclass('public.ingest_migrations')::text AS t",
    );
    if (!exists.rows[0]?.t) return files.map((f) => f.name);
    const recorded = await appliedChecksums(pool);
    return files.filter((f) => !recorded.has(f.name)).map((f) => f.name);
  } catch (err) {
    throw coerceError(err);
  }
}

/** The SHA-256 of all migration files in order: changes whenever a migration is added or edited. */
export async function migrationsFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await migrationFiles()) hash.update(`${file.name}\0${file.sha256}\n`);
  return hash.digest('hex');
}

async function appliedChecksums(db: pg.Pool | pg.PoolClient): Promise<Map<string, string>> {
  const result = await db.query<{ name: string; sha256: string }>(
    'SELECT name, sha256 FROM public.ingest_migrations',
  );
  return new Map(result.rows.map((row) => [row.name, row.sha256]));
}

async function applyOne(client: pg.PoolClient, file: MigrationFile): Promise<void> {
  await client.query('BEGIN');
  try {
    // No parameters: pg sends the simple query protocol, which runs a file of many statements at once.
    await client.query(file.sql);
    await client.query('INSERT INTO public.ingest_migrations (name, sha256) VALUES ($1, $2)', [
      file.name,
      file.sha256,
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const e = err as { message?: string; code?: string; position?: string };
    const line = e.position ? lineAt(file.sql, Number(e.position)) : undefined;
    throw new IngestError(
      'DATABASE_ERROR',
      `migration ${file.name} failed${line ? ` at line ${line}` : ''}: ${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
      { file: file.name, ...(line ? { line } : {}) },
      { cause: err },
    );
  }
}

/** PostgreSQL reports an error's position as a 1-based character offset into the query text. */
function lineAt(text: string, position: number): number | undefined {
  if (!Number.isInteger(position) || position < 1) return undefined;
  return text.slice(0, position - 1).split('\n').length;
}
