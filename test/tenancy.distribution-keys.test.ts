import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * What Citus needs to distribute a table by organization_id: every PRIMARY KEY and UNIQUE constraint (and
 * unique index, which enforces the same) of a distributed table includes the distribution column, since
 * uniqueness is checked on one shard only. ARCHITECTURE.md's distribution plan names the tables; this
 * test walks the catalog so a new tenant table, or a new unique key without organization_id, fails here.
 */

const TENANT_SCHEMAS = ['tenant', 'audit', 'storage_meta', 'analytics', 'logs', 'cache'];

/**
 * Reference tables (copied whole to every node), so exempt: ARCHITECTURE.md, "Distribution plan", says why.
 * Every other table of these schemas is distributed by organization_id.
 */
const REFERENCE_TABLES: Record<string, string> = {
  'tenant.organizations': 'the organizations themselves: small, and the target of every foreign key',
  'tenant.api_keys': 'found by its globally unique prefix before the organization is known',
  'tenant.users': 'people sign in once and belong to several organizations',
};

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

describe('distribution keys', () => {
  it('every primary key and unique constraint or index of a tenant table includes organization_id', async () => {
    const { rows } = await db.pool.query<{
      table_name: string;
      index_name: string;
      is_primary: boolean;
      columns: string[];
    }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table_name, ic.relname AS index_name,
              i.indisprimary AS is_primary,
              array(SELECT a.attname::text FROM unnest(i.indkey) AS k(attnum)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS columns
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND i.indisunique
          AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
        ORDER BY 1, 2`,
      [TENANT_SCHEMAS],
    );
    // Not vacuous: the primary keys of files, chunks and metrics are among them.
    expect(rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['storage_meta.files', 'storage_meta.file_chunks', 'analytics.metrics']),
    );
    const missing = rows
      .filter((r) => !(r.table_name in REFERENCE_TABLES))
      .filter((r) => !r.columns.includes('organization_id'))
      .map((r) => `${r.table_name} ${r.index_name} (${r.columns.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('every table of the tenant schemas has an organization_id column to distribute by', async () => {
    const { rows } = await db.pool.query<{ table_name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS table_name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
        ORDER BY 1`,
      [TENANT_SCHEMAS],
    );
    // tenant.organizations is keyed by `id`, the organization id itself; users span organizations.
    expect(rows.map((r) => r.table_name)).toEqual(['tenant.organizations', 'tenant.users']);
  });
});
