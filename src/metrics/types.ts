import type { ColumnType } from '../domain/index.js';

/** File-level facts the pipeline knows at the end of an ingest. */
export interface FileFacts {
  rows: number;
  columns: number;
  bytes: number;
  storedBytes: number;
  chunks: number;
  rejectedRows: number;
  durationMs: number;
}

/** The summary of one column after all chunks are merged. */
export interface ColumnSummary {
  index: number;
  name: string;
  type: ColumnType;
  /** Values that are empty strings (ingest's null). */
  nullCount: number;
  nonNullCount: number;
  /** Smallest and largest value in the column's type (numbers as decimal strings; text by code unit order). */
  min: string | null;
  max: string | null;
  /** Mean of the values for integer and decimal columns, else null. */
  mean: number | null;
  /** Shortest and longest value in UTF-16 code units, over non-empty values. */
  minLength: number | null;
  maxLength: number | null;
  /** HyperLogLog estimate of distinct non-empty values. */
  distinctEstimate: number;
}
