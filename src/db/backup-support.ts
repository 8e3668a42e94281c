import type pg from 'pg';
import type { Queryable } from './pool.js';

/**
 * The statements `ingest backup` and `ingest backup restore` run besides pg_dump and pg_restore.
 * As the login role: a backup spans organizations.
 */

/** The schemas ingest's migrations create, and those of a job queue when one exists. */
const INGEST_SCHEMAS = ['tenant', 'audit', 'storage_meta', 'analytics', 'logs', 'monitoring', 'cache'];
const QUEUE_SCHEMAS = ['graphile_worker', 'pgboss'];

/** The schemas to back up: ingest's, plus a job queue's that exist on this database. */
export async function backupSchemas(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    'SELECT nspname AS name FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1',
    [[...INGEST_SCHEMAS, ...QUEUE_SCHEMAS]],
  );
  const found = new Set(rows.map((r) => r.name));
  return [...INGEST_SCHEMAS, ...QUEUE_SCHEMAS].filter((s) => found.has(s));
}

/**
 * Opens a read-only repeatable-read transaction on `client` and exports its snapshot, so pg_dump
 * (--snapshot) and the object listing below see the same committed state. The caller commits (or
 * releases the client) once pg_dump is done.
 */
export async function exportSnapshot(client: pg.ClientBase): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  return rows[0]!.id;
}

/** One object the database refers to: an original of a ready file or an archive of chunks. */
export interface ReferencedObject {
  key: string;
  /** The SHA-256 the database records for the object's bytes. */
  sha256: string;
}

/** Every object that ready files refer to (originals and chunk archives), as seen by the transaction. */
export async function listReferencedObjects(db: Queryable): Promise<ReferencedObject[]> {
  const { rows } = await db.query<ReferencedObject>(
    `SELECT object_key AS key, sha256 FROM storage_meta.files WHERE status = 'ready'
     UNION
     SELECT archive_key, archive_sha256 FROM storage_meta.files
      WHERE status = 'ready' AND archive_key IS NOT NULL AND archive_sha256 IS NOT NULL
     ORDER BY 1`,
  );
  return rows;
}

/** True when the database already holds ingest's schema (restoring over it would mix two states). */
export async function hasIngestSchema(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null; m: string | null }>(
    `SELECT to_regclass('tenant.organizations')::text AS t, to_regclass('public.ingest_migrations')::text AS m`,
  );
  return Boolean(rows[0]?.t || rows[0]?.m);
}

/**
 * Creates the application role when the server lacks it (a new server): the restored grants name it.
 * Roles are cluster-wide and not part of a database's dump. Same definition as migration 0001.
 */
export async function ensureAppRole(db: Queryable): Promise<void> {
  await db.query(`DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ingest_app') THEN
    CREATE ROLE ingest_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$`);
}

/**
 * Recreates pg_stat_statements in the monitoring schema after a restore (extensions are not part of a
 * schema dump); false when the server lacks it or the role may not create it: logs.slow_queries then
 * reads ingest's own timings.
 */
export async function ensureStatementsExtension(db: Queryable): Promise<boolean> {
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA monitoring');
    return true;
  } catch {
    return false;
  }
}

/** Creates database `name` on the server `db` is connected to, unless it exists. */
export async function createDatabaseIfMissing(db: pg.ClientBase, name: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rows.length > 0) return false;
  await db.query(`CREATE DATABASE ${db.escapeIdentifier(name)}`);
  return true;
}
