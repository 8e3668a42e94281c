import type { Queryable } from './pool.js';

/** A table that holds rows of organizations, and the column naming the organization. */
export interface TenantTable {
  /** Qualified and quoted, ready for SQL: "storage_meta"."files". */
  sql: string;
  /** schema.table, for reports. */
  name: string;
  column: string;
}

/**
 * Every table of every application schema that holds organization rows: those with an organization_id
 * column, plus tenant.organizations itself (keyed by id). Read from the catalog, so a table added by a
 * later migration is covered without a code change. Partitions are reached through their parent.
 * Ordered so that a table comes before every table it references: deleting in this order never waits
 * for a cascade, and each table's count is its own.
 */
export async function listTenantTables(db: Queryable): Promise<TenantTable[]> {
  const { rows } = await db.query<{ oid: number; schema: string; table: string; column: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS table,
            CASE WHEN n.nspname = 'tenant' AND c.relname = 'organizations' THEN 'id' ELSE 'organization_id' END AS column
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'
       AND ((n.nspname = 'tenant' AND c.relname = 'organizations')
            OR EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))`,
  );
  const { rows: edges } = await db.query<{ from: number; to: number }>(
    `SELECT conrelid::int AS from, confrelid::int AS to FROM pg_constraint
     WHERE contype = 'f' AND conrelid <> confrelid AND conparentid = 0`,
  );
  const referencedBy = new Map<number, number[]>();
  for (const e of edges) referencedBy.set(e.to, [...(referencedBy.get(e.to) ?? []), e.from]);
  const ordered: typeof rows = [];
  const placed = new Set<number>();
  const visit = (row: (typeof rows)[number], path: Set<number>) => {
    if (placed.has(row.oid) || path.has(row.oid)) return;
    path.add(row.oid);
    for (const child of referencedBy.get(row.oid) ?? []) {
      const childRow = rows.find((r) => r.oid === child);
      if (childRow) visit(childRow, path);
    }
    placed.add(row.oid);
    ordered.push(row);
  };
  for (const row of [...rows].sort((a, b) =>
    `${a.schema}.${a.table}`.localeCompare(`${b.schema}.${b.table}`),
  ))
    visit(row, new Set());
  return ordered.map((r) => ({
    sql: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`,
    name: `${r.schema}.${r.table}`,
    column: r.column,
  }));
}

/**
 * Deletes every row of one organization from every tenant table, the organization last, in the
 * caller's transaction (as the login role: organizations are operator-managed). Locks the
 * organization row first, so a concurrent ingest cannot add a row that references it meanwhile.
 * Returns the rows deleted per table (tables with none are included, with 0).
 */
export async function deleteOrganizationRows(
  db: Queryable,
  organizationId: string,
): Promise<Record<string, number>> {
  await db.query('SELECT 1 FROM tenant.organizations WHERE id = $1 FOR UPDATE', [organizationId]);
  const counts: Record<string, number> = {};
  for (const table of await listTenantTables(db)) {
    const { rowCount } = await db.query(`DELETE FROM ${table.sql} WHERE ${quoteIdent(table.column)} = $1`, [
      organizationId,
    ]);
    counts[table.name] = rowCount ?? 0;
  }
  return counts;
}

/**
 * Refreshes the materialized views that carry organization rows (analytics.organization_metrics), so a
 * deleted organization leaves no row there either. Outside a transaction: CONCURRENTLY where a unique
 * index allows it, so readers are not blocked.
 */
export async function refreshTenantViews(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ schema: string; view: string; unique: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS view,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique) AS unique
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'm' AND EXISTS (SELECT 1 FROM pg_attribute a
       WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)`,
  );
  for (const r of rows) {
    await db.query(
      `REFRESH MATERIALIZED VIEW ${r.unique ? 'CONCURRENTLY ' : ''}${quoteIdent(r.schema)}.${quoteIdent(r.view)}`,
    );
  }
  return rows.map((r) => `${r.schema}.${r.view}`);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
