/**
 * Seeds an organization with many ready files straight in SQL, for the read side of the load
 * benchmark: ingesting 10,000 files would take minutes and measure the pipeline, not the reads.
 *
 * Each seeded file looks like an ingest of the benchmark fixture: its storage_meta.files row is
 * `ready` with the fixture's 12 columns, dialect and header, and its analytics.metrics rows are the
 * ones `metricRows()` writes for such a file (8 file-level rows and 9 per column, 116 in all). No
 * chunks or originals are stored, so only the listing and metrics endpoints can read them.
 */
import type { FileColumn, Queryable } from '../src/db/index.js';
import type { ColumnType, Dialect, MetricRow } from '../src/domain/index.js';
import { type ColumnSummary, metricRows } from '../src/metrics/index.js';
import { FIXTURE_COLUMNS, FIXTURE_HEADER } from './fixture-columns.js';

/** Inferred type of each fixture column, as ingest reports it (bigint and numeric come out as numbers). */
const INFERRED: Record<string, ColumnType> = {
  bigint: 'integer',
  'numeric(12,2)': 'decimal',
  'double precision': 'decimal',
  boolean: 'boolean',
  date: 'date',
  timestamptz: 'timestamp',
  text: 'text',
};

/** Rows of a ~1 MB fixture file: the counts the seeded metrics report. */
const ROWS_PER_FILE = 3_600;
const BYTES_PER_FILE = 1024 * 1024;
/** Stored bytes of such a file: its row and its metric rows must agree. */
const STORED_BYTES_PER_FILE = Math.round(BYTES_PER_FILE * 0.29);

const DIALECT: Dialect = {
  delimiter: ',',
  quote: '"',
  lineEnding: '\n',
  bom: false,
  encoding: 'utf-8',
  compression: 'none',
};

export const SEEDED_COLUMNS: FileColumn[] = FIXTURE_COLUMNS.map((c) => ({
  name: c.name,
  originalName: c.name,
  type: INFERRED[c.sqlType] ?? 'text',
}));

/** The metric rows every seeded file gets: what ingest writes for a ~1 MB fixture file. */
export function seededMetricRows(): MetricRow[] {
  const columns: ColumnSummary[] = SEEDED_COLUMNS.map((c, index) => {
    const numeric = c.type === 'integer' || c.type === 'decimal';
    return {
      index,
      name: c.name,
      type: c.type,
      nullCount: index % 3 === 0 ? 0 : 36 + index,
      nonNullCount: ROWS_PER_FILE - (index % 3 === 0 ? 0 : 36 + index),
      min: numeric ? '-499.87' : `a-${c.name}`,
      max: numeric ? '24999.12' : `z-${c.name}`,
      mean: numeric ? 12_345.67 : null,
      minLength: 1,
      maxLength: 40 + index,
      distinctEstimate: 100 * (index + 1),
    };
  });
  return metricRows(
    {
      rows: ROWS_PER_FILE,
      columns: columns.length,
      bytes: BYTES_PER_FILE,
      storedBytes: STORED_BYTES_PER_FILE,
      chunks: 1,
      rejectedRows: 0,
      durationMs: 120,
    },
    columns,
  );
}

export interface SeededFiles {
  /** Ids of the seeded files. */
  fileIds: string[];
  metricRows: number;
  seconds: number;
}

/**
 * Inserts `count` ready files and their metrics for `organizationId`, one statement each, as the login
 * role (row-level security does not apply to the tables' owner). Files are a minute apart, the newest
 * one minute ago, so listings have a stable order. Analyzes both tables afterwards so the planner
 * sees the organization's real size, as it would on a server that has been running.
 */
export async function seedFiles(
  db: Queryable,
  organizationId: string,
  count: number,
  options: { filenamePrefix?: string } = {},
): Promise<SeededFiles> {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new Error(`count must be a positive integer, got ${count}`);
  const started = performance.now();
  const prefix = options.filenamePrefix ?? 'seeded';
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO storage_meta.files (organization_id, sha256, size_bytes, filename, object_key, status, dialect,
       header_raw, columns, row_count, chunk_count, stored_bytes, rejected_row_count, processed_by,
       created_at, started_at, finished_at, duration_ms)
     SELECT $1::uuid, h.sha, $3, $4 || '-' || lpad(i::text, 6, '0') || '.csv', 'orgs/' || $1 || '/sha256/' || h.sha,
       'ready', $5::jsonb, $6, $7::jsonb, $8, 1, $9, 0, 'bench-seed',
       t.at, t.at, t.at, 120
     FROM generate_series(1, $2::int) AS i,
       LATERAL (SELECT encode(sha256(convert_to($1 || ':' || i, 'UTF8')), 'hex') AS sha) AS h,
       LATERAL (SELECT now() - ($2::int - i + 1) * interval '1 minute' AS at) AS t
     ORDER BY i
     RETURNING id`,
    [
      organizationId,
      count,
      BYTES_PER_FILE,
      prefix,
      JSON.stringify(DIALECT),
      Buffer.from(`${FIXTURE_HEADER}\n`),
      JSON.stringify(SEEDED_COLUMNS),
      ROWS_PER_FILE,
      STORED_BYTES_PER_FILE,
    ],
  );
  const template = seededMetricRows();
  // Ordered by file, then template row: each file's metrics sit together, as one ingest writes them.
  const inserted = await db.query(
    `INSERT INTO analytics.metrics (organization_id, audit_id, file_id, column_name, column_index, metric_type, numeric_value, text_value)
     SELECT f.organization_id, NULL, f.id, m.column_name, m.column_index, m.metric_type, m.numeric_value, m.text_value
     FROM storage_meta.files f
     CROSS JOIN unnest($2::text[], $3::int[], $4::text[], $5::float8[], $6::text[])
       WITH ORDINALITY AS m (column_name, column_index, metric_type, numeric_value, text_value, n)
     WHERE f.organization_id = $1 AND f.id = ANY($7::uuid[])
     ORDER BY f.created_at, m.n`,
    [
      organizationId,
      template.map((r) => r.columnName),
      template.map((r) => r.columnIndex),
      template.map((r) => r.metricType),
      template.map((r) => r.numericValue),
      template.map((r) => r.textValue),
      rows.map((r) => r.id),
    ],
  );
  await db.query('ANALYZE storage_meta.files');
  await db.query('ANALYZE analytics.metrics');
  return {
    fileIds: rows.map((r) => r.id),
    metricRows: inserted.rowCount ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}
