import { createRequire } from 'node:module';
import type pg from 'pg';
import { getConstructionPlans, getMigrationPlans } from 'pg-boss';

/** The schema pg-boss keeps its queues, jobs and schedules in; nothing of ingest's lives there. */
export const JOB_QUEUE_SCHEMA = 'pgboss';

/** The schema version the installed pg-boss expects (its package.json `pgboss.schema`). */
function expectedVersion(): number {
  const pkg = createRequire(import.meta.url)('pg-boss/package.json') as { pgboss: { schema: number } };
  return pkg.pgboss.schema;
}

/**
 * Installs or upgrades pg-boss's schema with the library's own plans (the SQL its start() would run),
 * from migrate() under ingest's migration lock, so a process that only reads (and a worker starting with
 * migrate: false) finds the queue ready. Returns what it did, for the migration log.
 */
export async function migrateJobQueue(client: pg.ClientBase): Promise<'installed' | 'upgraded' | 'current'> {
  const found = await client.query<{ installed: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS installed`,
    [`${JOB_QUEUE_SCHEMA}.version`],
  );
  if (!found.rows[0]?.installed) {
    await client.query(getConstructionPlans(JOB_QUEUE_SCHEMA));
    return 'installed';
  }
  const row = await client.query<{ version: number }>(`SELECT version FROM ${JOB_QUEUE_SCHEMA}.version`);
  const version = Number(row.rows[0]?.version);
  if (version >= expectedVersion()) return 'current';
  await client.query(getMigrationPlans(JOB_QUEUE_SCHEMA, version));
  return 'upgraded';
}
