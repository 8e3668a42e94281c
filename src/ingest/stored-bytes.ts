import type { RejectedRowRecord } from '../db/index.js';
import type { MetricRow } from '../domain/index.js';

/**
 * What a file's rows cost in PostgreSQL besides their text, for the quota (files.charged_bytes). An
 * estimate computed from the rows as they are written, so charging needs no scan of what was written:
 *
 * - analytics.metrics: a 24-byte heap tuple header and 4-byte line pointer, ~76 bytes of fixed-width
 *   columns (three uuids, bigint, integer, float8, timestamptz), and entries in its three indexes (primary
 *   key, (audit_id, metric_type), file_id: ~100 bytes with their own tuple headers). The metric type is in
 *   the heap and in an index, so it counts twice. Measured: pg_total_relation_size of analytics.metrics
 *   over its rows came to 187 bytes a row for a 1,500-column file with short names, against 194 estimated (test
 *   ingest.stored-bytes-quota.test.ts prints the ratio).
 * - storage_meta.rejected_rows: tuple header and line pointer, two uuids and a bigint (~64 bytes) and a
 *   primary-key entry (~56 bytes); long raw text may be compressed by TOAST, so this is an upper bound.
 */
export const METRIC_ROW_BYTES = 170;
export const REJECTED_ROW_BYTES = 120;

/** Estimated bytes of a file's metric rows in analytics.metrics (tuples, indexes and text). */
export function metricRowsBytes(rows: readonly MetricRow[]): number {
  let bytes = 0;
  for (const r of rows) {
    bytes +=
      METRIC_ROW_BYTES +
      textBytes(r.columnName) +
      2 * Buffer.byteLength(r.metricType, 'utf8') +
      textBytes(r.textValue);
  }
  return bytes;
}

/** Estimated bytes of a file's rejected rows in storage_meta.rejected_rows. */
export function rejectedRowsBytes(rows: readonly RejectedRowRecord[]): number {
  let bytes = 0;
  for (const r of rows) {
    bytes += REJECTED_ROW_BYTES + textBytes(r.code) + textBytes(r.reason) + textBytes(r.raw);
  }
  return bytes;
}

function textBytes(text: string | null): number {
  return text === null ? 0 : Buffer.byteLength(text, 'utf8');
}
