import type pg from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { ColumnType, Delimiter } from '../domain/index.js';

/**
 * The statements behind `ingest materialize`: a user's table (outside ingest's own schemas) created with
 * the inferred column types and loaded with COPY, as the login role that owns the database objects.
 * Every identifier is quoted with escapeIdentifier: names come from users and CSV headers.
 */

/** Schemas ingest owns: a materialized table never goes there. */
export const INGEST_SCHEMAS = ['tenant', 'audit', 'storage_meta', 'analytics', 'logs'] as const;

/** A target table, by schema and name (both unquoted, as the user wrote them). */
export interface TableName {
  schema: string;
  table: string;
}

export interface TargetColumn {
  name: string;
  /** A PostgreSQL type name as format_type() writes it: `bigint`, `numeric`, `timestamp with time zone`... */
  sqlType: string;
}

/**
 * The PostgreSQL type of each inferred column type. Exact types where the CSV text is exact: numeric for
 * decimals (double precision would round them); timestamps with time zone, read in UTC (see
 * enterMaterializeSession), so a value written with an offset keeps its instant and one without is UTC.
 */
export const SQL_TYPE_OF: Record<ColumnType, string> = {
  integer: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp with time zone',
  text: 'text',
};

const qualified = (t: TableName): string => `${escapeIdentifier(t.schema)}.${escapeIdentifier(t.table)}`;

/** The session settings a load needs, for this transaction only: timestamps without an offset are UTC. */
export async function enterMaterializeSession(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT set_config('TimeZone', 'UTC', true)`);
}

/** The table's columns and their types in column order, or null when there is no such table. */
export async function tableColumns(client: pg.ClientBase, name: TableName): Promise<TargetColumn[] | null> {
  const { rows } = await client.query<{ exists: boolean; name: string | null; type: string | null }>(
    `SELECT c.oid IS NOT NULL AS exists, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
     FROM (SELECT to_regclass(format('%I.%I', $1::text, $2::text)) AS oid) c
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [name.schema, name.table],
  );
  if (!rows[0]?.exists) return null;
  return rows.filter((r) => r.name !== null).map((r) => ({ name: r.name!, sqlType: r.type! }));
}

/** Drops the table (the --replace path); its data goes with the transaction's commit, not before. */
export async function dropTable(client: pg.ClientBase, name: TableName): Promise<void> {
  await client.query(`DROP TABLE ${qualified(name)}`);
}

/** Creates the table, and its schema when missing. */
export async function createTable(
  client: pg.ClientBase,
  name: TableName,
  columns: readonly TargetColumn[],
): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(name.schema)}`);
  const list = columns.map((c) => `${escapeIdentifier(c.name)} ${c.sqlType}`).join(', ');
  await client.query(`CREATE TABLE ${qualified(name)} (${list})`);
}

/** Changes columns of an existing table to text (the --append path of --where-type-fails text). */
export async function alterColumnsToText(
  client: pg.ClientBase,
  name: TableName,
  columns: readonly string[],
): Promise<void> {
  if (columns.length === 0) return;
  const changes = columns
    .map((c) => `ALTER COLUMN ${escapeIdentifier(c)} TYPE text USING ${escapeIdentifier(c)}::text`)
    .join(', ');
  await client.query(`ALTER TABLE ${qualified(name)} ${changes}`);
}

/**
 * A COPY FROM STDIN of CSV text into `columns` of the table: write records and end it; it emits `finish`
 * once PostgreSQL acknowledged the rows (its `rowCount` then says how many), and a destroyed stream
 * sends CopyFail so nothing of it stays. An empty field, quoted or not, is NULL (FORCE_NULL), as ingest
 * counts empty values as nulls.
 */
export function copyCsvInto(
  client: pg.ClientBase,
  name: TableName,
  columns: readonly string[],
  delimiter: Delimiter,
): ReturnType<typeof copyFrom> {
  const list = columns.map(escapeIdentifier).join(', ');
  return client.query(
    copyFrom(
      `COPY ${qualified(name)} (${list}) FROM STDIN WITH (FORMAT csv, DELIMITER ${escapeLiteral(delimiter)}, NULL '', FORCE_NULL (${list}))`,
    ),
  );
}

/** A savepoint the load can go back to (the fast COPY of raw chunks falls back to parsed records). */
export async function savepoint(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`SAVEPOINT ${escapeIdentifier(name)}`);
}

export async function rollbackToSavepoint(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`ROLLBACK TO SAVEPOINT ${escapeIdentifier(name)}`);
}
