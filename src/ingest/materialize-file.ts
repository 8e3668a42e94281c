import { finished } from 'node:stream/promises';
import type pg from 'pg';
import {
  alterColumnsToText,
  copyCsvInto,
  createTable,
  dropTable,
  enterMaterializeSession,
  type FileRecord,
  INGEST_SCHEMAS,
  listFileMetrics,
  rollbackToSavepoint,
  SQL_TYPE_OF,
  savepoint,
  type TableName,
  type TargetColumn,
  tableColumns,
  withTenant,
  withTransaction,
} from '../db/index.js';
import { IngestError, isIngestError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';
import { firstEvent } from '../wait-for-event.js';
import { getReadyFile } from './export-file.js';
import { readFileChunks, verifiedChunkBytes } from './file-chunks.js';
import { pickColumns, readRecordBatches } from './file-records.js';
import { formatCsvRecord } from './format-csv.js';
import { fitsSqlType, isTextSqlType, wideIntegerColumns } from './typed-values.js';

/** What `--where-type-fails` does with a value that does not fit its existing table column. */
export const TYPE_FAILURE_POLICIES = ['null', 'text', 'error'] as const;
export type TypeFailurePolicy = (typeof TYPE_FAILURE_POLICIES)[number];

export interface MaterializeOptions {
  /** `schema.table` (or `table`, in public): plain identifiers, folded to lower case as PostgreSQL does. */
  table: string;
  /** create (default: a clash is TABLE_EXISTS), replace (drop and recreate), append (add the rows). */
  mode?: 'create' | 'replace' | 'append';
  /** Column names to load, in this order; all when absent. */
  columns?: readonly string[];
  /**
   * When appending to an existing table, a value that does not fit its column: `text` (default) turns
   * such columns into text first, `null` loads NULL instead, `error` fails with TYPE_MISMATCH.
   */
  whereTypeFails?: TypeFailurePolicy;
}

export interface MaterializeResult {
  fileId: string;
  table: string;
  mode: 'create' | 'replace' | 'append';
  rows: number;
  /** The table's columns that were loaded, with their PostgreSQL types. */
  columns: { name: string; type: string; inferred: string }[];
  /** Loaded as text because their values are not all of one narrower type. */
  textColumns: string[];
  /** Existing columns changed to text (`--append --where-type-fails text`). */
  alteredToText: string[];
  /** Values loaded as NULL (`--where-type-fails null`). */
  nulledValues: number;
  /** `copy-raw`: the stored chunks went to COPY as they are; `copy-parsed`: records parsed and re-encoded. */
  method: 'copy-raw' | 'copy-parsed';
  seconds: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `schema.table` or `table` (public), each a plain identifier, folded to lower case. */
export function parseTableName(text: string): TableName {
  const parts = text.split('.');
  const bad = () =>
    new IngestError(
      'INVALID_OPTION',
      `table must be schema.table or table, each a plain identifier (letters, digits, _ and $), got ${JSON.stringify(text.slice(0, 200))}`,
      { option: 'table' },
    );
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) throw bad();
  const [schema, table] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['public', parts[0]!];
  const name = { schema: schema.toLowerCase(), table: table.toLowerCase() };
  if (
    (INGEST_SCHEMAS as readonly string[]).includes(name.schema) ||
    /^(pg_|information_schema$)/.test(name.schema)
  ) {
    throw new IngestError(
      'INVALID_OPTION',
      `table must not be in ingest's or PostgreSQL's own schemas (${INGEST_SCHEMAS.join(', ')}, pg_*, information_schema), got ${name.schema}`,
      { option: 'table' },
    );
  }
  return name;
}

/**
 * Loads a ready file's rows into a table of typed columns, for SQL: one transaction as the login role
 * (the owner of the database objects, not a tenant), COPY streamed with backpressure. A new table gets the
 * inferred types (integer bigint, or numeric when wider; decimal numeric; boolean; date; timestamp
 * timestamptz read as UTC; text). When the whole file is loaded into a new table and no row was rejected
 * at ingest, the stored chunks go to COPY as they are (PostgreSQL parses them: COPY speed); otherwise, or
 * if PostgreSQL reads them differently from ingest (it then rolls back to a savepoint), records are
 * parsed by ingest and re-encoded. Archived files read from their archive object.
 */
export async function materializeFile(
  services: { pool: pg.Pool; store: ObjectStore },
  organizationId: string,
  fileId: string,
  options: MaterializeOptions,
): Promise<MaterializeResult> {
  const started = performance.now();
  const { pool, store } = services;
  const name = parseTableName(options.table);
  const qualified = `${name.schema}.${name.table}`;
  const mode = options.mode ?? 'create';
  const policy = options.whereTypeFails ?? 'text';
  const file = await getReadyFile(pool, organizationId, fileId);
  const { names, indices } = pickColumns(file, options.columns);
  const fileColumns = file.columns!;
  const metrics = await withTenant(pool, organizationId, (db) => listFileMetrics(db, file.id));
  const wide = wideIntegerColumns(metrics);
  const inferred = indices.map((i) => fileColumns[i]!.type);
  const wanted: TargetColumn[] = names.map((n, k) => ({
    name: n,
    sqlType: wide.has(indices[k]!) ? 'numeric' : SQL_TYPE_OF[inferred[k]!],
  }));

  return withTransaction(pool, { fileId, table: qualified }, async (client) => {
    await enterMaterializeSession(client);
    const existing = await tableColumns(client, name);
    if (existing && mode === 'create') {
      throw new IngestError(
        'TABLE_EXISTS',
        `table ${qualified} already exists: add --replace to drop and recreate it, or --append to add the rows`,
        { table: qualified, fileId },
      );
    }
    let target = wanted;
    const created = !existing || mode === 'replace';
    if (existing && mode === 'replace') await dropTable(client, name);
    if (created) {
      await createTable(client, name, wanted);
    } else {
      target = names.map((n) => {
        const column = existing!.find((c) => c.name === n);
        if (!column) {
          throw new IngestError(
            'INVALID_OPTION',
            `table ${qualified} has no column ${JSON.stringify(n)} (its columns: ${existing!.map((c) => c.name).join(', ')}); pick the file's columns to load with --columns`,
            { option: 'columns', table: qualified, fileId },
          );
        }
        return column;
      });
    }

    let alteredToText: string[] = [];
    if (!created && policy === 'text') {
      alteredToText = await columnsThatDoNotFit(pool, store, file, indices, target);
      await alterColumnsToText(client, name, alteredToText);
      target = target.map((c) => (alteredToText.includes(c.name) ? { ...c, sqlType: 'text' } : c));
    }

    let method: MaterializeResult['method'] = 'copy-parsed';
    let rows = -1;
    let nulledValues = 0;
    const wholeFile = indices.length === fileColumns.length && indices.every((v, i) => v === i);
    if (created && wholeFile && (file.rejectedRowCount ?? 0) === 0) {
      await savepoint(client, 'raw_copy');
      try {
        rows = await copyRawChunks(client, pool, store, file, name, names);
        if (rows !== (file.rowCount ?? 0)) throw new RawCopyDiffers(rows);
        method = 'copy-raw';
      } catch (err) {
        // PostgreSQL's CSV reading refused or counted the chunks differently (a mixed line ending, say):
        // undo that COPY only, and load the records as ingest parses them.
        if (isIngestError(err)) throw err;
        await rollbackToSavepoint(client, 'raw_copy');
        rows = -1;
      }
    }
    if (rows < 0) {
      const checks = created ? [] : target.map((c) => (isTextSqlType(c.sqlType) ? null : c.sqlType));
      const loaded = await copyParsedRecords(
        client,
        pool,
        store,
        file,
        name,
        indices,
        target,
        checks,
        policy,
      );
      rows = loaded.rows;
      nulledValues = loaded.nulled;
    }
    return {
      fileId: file.id,
      table: qualified,
      mode,
      rows,
      columns: target.map((c, k) => ({ name: c.name, type: c.sqlType, inferred: inferred[k]! })),
      textColumns: names.filter((_, k) => inferred[k] === 'text'),
      alteredToText,
      nulledValues,
      method,
      seconds: (performance.now() - started) / 1000,
    };
  });
}

class RawCopyDiffers extends Error {
  constructor(rows: number) {
    super(`COPY read ${rows} rows from the raw chunks`);
  }
}

/** Writes to a COPY stream with backpressure; a COPY that failed rejects instead of waiting for a drain. */
async function writeTo(copy: ReturnType<typeof copyCsvInto>, bytes: Buffer | string): Promise<void> {
  if (!copy.write(bytes) && (await firstEvent(copy, ['drain', 'error', 'close'])) !== 'drain') {
    throw new Error('COPY stopped');
  }
}

/**
 * Feeds a COPY, ends it and waits for PostgreSQL's answer: the rows it read. On failure the COPY is
 * destroyed (CopyFail) and the first error is rethrown: ingest's own, or else PostgreSQL's.
 */
async function runCopy(copy: ReturnType<typeof copyCsvInto>, feed: () => Promise<void>): Promise<number> {
  let copyError: unknown;
  copy.on('error', (err) => {
    copyError ??= err;
  });
  try {
    await feed();
    copy.end();
    await finished(copy);
  } catch (err) {
    copy.destroy();
    await finished(copy).catch(() => undefined);
    throw isIngestError(err) ? err : (copyError ?? err);
  }
  return copy.rowCount;
}

/** The stored chunks as they are, into a COPY in the file's dialect. Returns the rows COPY read. */
function copyRawChunks(
  client: pg.ClientBase,
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  name: TableName,
  columns: readonly string[],
): Promise<number> {
  const copy = copyCsvInto(client, name, columns, file.dialect!.delimiter);
  return runCopy(copy, async () => {
    for await (const chunk of readFileChunks(pool, store, file)) {
      await writeTo(copy, await verifiedChunkBytes(chunk, file.id));
    }
  });
}

/** Parsed records, re-encoded as CSV, each value checked against its column's type when `checks` says. */
async function copyParsedRecords(
  client: pg.ClientBase,
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  name: TableName,
  indices: readonly number[],
  target: readonly TargetColumn[],
  checks: readonly (string | null)[],
  policy: TypeFailurePolicy,
): Promise<{ rows: number; nulled: number }> {
  const copy = copyCsvInto(
    client,
    name,
    target.map((c) => c.name),
    ',',
  );
  let row = 0;
  let nulled = 0;
  const rows = await runCopy(copy, async () => {
    for await (const batch of readRecordBatches(pool, store, file, { offset: 0 })) {
      let text = '';
      for (const record of batch) {
        row++;
        const fields = indices.map((i) => record[i]!);
        for (let k = 0; k < checks.length; k++) {
          const sqlType = checks[k];
          const value = fields[k]!;
          if (!sqlType || value === '' || fitsSqlType(sqlType, value)) continue;
          if (policy !== 'null') {
            throw new IngestError(
              'TYPE_MISMATCH',
              `row ${row}: ${JSON.stringify(value.slice(0, 100))} does not fit column ${target[k]!.name} (${sqlType}) of ${name.schema}.${name.table}`,
              { fileId: file.id, column: target[k]!.name, row },
            );
          }
          fields[k] = '';
          nulled++;
        }
        text += formatCsvRecord(fields);
      }
      await writeTo(copy, text);
    }
  });
  return { rows, nulled };
}

/** The target columns some value of the file does not fit (the pre-pass of `--where-type-fails text`). */
async function columnsThatDoNotFit(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  indices: readonly number[],
  target: readonly TargetColumn[],
): Promise<string[]> {
  const open = new Set(target.map((c, k) => (isTextSqlType(c.sqlType) ? -1 : k)).filter((k) => k >= 0));
  const failing: string[] = [];
  if (open.size === 0) return failing;
  for await (const batch of readRecordBatches(pool, store, file, { offset: 0 })) {
    for (const record of batch) {
      for (const k of open) {
        const value = record[indices[k]!]!;
        if (value !== '' && !fitsSqlType(target[k]!.sqlType, value)) {
          failing.push(target[k]!.name);
          open.delete(k);
        }
      }
      if (open.size === 0) return failing;
    }
  }
  return failing;
}
