import type pg from 'pg';
import type { MetricRow } from '../domain/index.js';
import type { Queryable } from './pool.js';
import { tenantStatement, uuidLiteral } from './tenant-context.js';

/** Writes a file's metric rows in one statement. Runs under the file's tenant context. */
export async function insertMetricRows(
  db: Queryable,
  ids: { organizationId: string; fileId: string; auditId: string | null },
  rows: MetricRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO analytics.metrics (organization_id, audit_id, file_id, column_name, column_index, metric_type, numeric_value, text_value)
     SELECT $1, $2, $3, * FROM unnest($4::text[], $5::int[], $6::text[], $7::float8[], $8::text[])`,
    [
      ids.organizationId,
      ids.auditId,
      ids.fileId,
      rows.map((r) => r.columnName),
      rows.map((r) => r.columnIndex),
      rows.map((r) => r.metricType),
      rows.map((r) => (r.numericValue === null || Number.isFinite(r.numericValue) ? r.numericValue : null)),
      rows.map((r) => r.textValue),
    ],
  );
}

export interface StoredMetric extends MetricRow {
  fileId: string;
}

export async function listFileMetrics(db: Queryable, fileId: string): Promise<MetricRow[]> {
  const { rows } = await db.query<{
    column_name: string | null;
    column_index: number | null;
    metric_type: string;
    numeric_value: number | null;
    text_value: string | null;
  }>(
    `SELECT column_name, column_index, metric_type, numeric_value, text_value FROM analytics.metrics
     WHERE file_id = $1 ORDER BY column_index NULLS FIRST, id`,
    [fileId],
  );
  return rows.map((r) => ({
    columnName: r.column_name,
    columnIndex: r.column_index,
    metricType: r.metric_type,
    numericValue: r.numeric_value,
    textValue: r.text_value,
  }));
}

/**
 * A ready file's metrics, as listFileMetrics orders them, in one round trip of the organization's
 * tenant context (tenantStatement; the id is checked to be a UUID); null when the file is not the
 * organization's or not ready. GET /v1/files/:id/metrics is what dashboards poll.
 */
export async function listReadyFileMetrics(
  pool: pg.Pool,
  organizationId: string,
  fileId: string,
): Promise<MetricRow[] | null> {
  const rows = await tenantStatement<{
    column_name: string | null;
    column_index: number | null;
    metric_type: string | null;
    numeric_value: number | null;
    text_value: string | null;
  }>(
    pool,
    organizationId,
    `SELECT m.column_name, m.column_index, m.metric_type, m.numeric_value, m.text_value
     FROM storage_meta.files f
     LEFT JOIN analytics.metrics m ON m.file_id = f.id AND m.organization_id = f.organization_id
     WHERE f.id = ${uuidLiteral(fileId)} AND f.status = 'ready'
     ORDER BY m.column_index NULLS FIRST, m.id`,
  );
  if (rows.length === 0) return null;
  const metrics: MetricRow[] = [];
  // A ready file without metric rows comes back as one row of NULLs from the outer join.
  for (const r of rows) {
    if (r.metric_type === null) continue;
    metrics.push({
      columnName: r.column_name,
      columnIndex: r.column_index,
      metricType: r.metric_type,
      numericValue: r.numeric_value,
      textValue: r.text_value,
    });
  }
  return metrics;
}
