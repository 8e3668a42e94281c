import type { Delimiter, OnErrorPolicy, RecordSyntax } from '../domain/index.js';
import type { StatsSnapshot } from '../metrics/index.js';

/** Row-level error codes a worker can report (a subset of ErrorCode). */
export type RowErrorCode =
  | 'UNCLOSED_QUOTE'
  | 'INVALID_QUOTE'
  | 'FIELD_COUNT_MISMATCH'
  | 'NUL_BYTE'
  | 'INVALID_UTF8'
  | 'RECORD_TOO_LARGE';

/** Why the lenient policy changed a row it kept (or, SECOND_TABLE, where its table ended): never silent. */
export type RepairCode = 'FIELDS_PADDED' | 'FIELDS_JOINED' | 'QUOTE_REPAIRED' | 'SECOND_TABLE';

/** What the main thread sends a worker: one chunk (its buffer transferred, not copied) and how to read it. */
export interface ChunkTask {
  /** The chunk's bytes; owned by the worker after transfer. */
  buffer: ArrayBuffer;
  delimiter: Delimiter;
  /** Quote, escape, comment and spaces as the file uses them; RFC 4180 with `delimiter` when absent. */
  syntax?: RecordSyntax;
  columnCount: number;
  onError: OnErrorPolicy;
  gzipLevel: number;
  maxRecordBytes: number;
}

/**
 * A row skipped under the skip or lenient policy, or kept by the lenient policy after a repair (`kept`);
 * lines are relative to the chunk (its first line is 1).
 */
export interface RejectedRow {
  line: number;
  kept?: boolean;
  code: RowErrorCode | RepairCode;
  reason: string;
  raw: string;
}

/** The first bad row under the strict policy; the line is relative to the chunk. */
export interface ChunkError {
  code: RowErrorCode;
  message: string;
  line: number;
}

/** What a worker sends back. `payload` is transferred. */
export interface ChunkResult {
  payload: ArrayBuffer;
  rawBytes: number;
  rows: number;
  /** LF count in the chunk: the number of physical lines it completes. */
  lines: number;
  /** xxh64 of the raw bytes as a signed 64-bit integer (PostgreSQL bigint). */
  xxh64: bigint;
  stats: StatsSnapshot;
  /** Rows rejected under the skip policy; `rejected` holds at most LIMITS.maxRecordedRejections of them. */
  rejectedCount: number;
  rejected: RejectedRow[];
  /** Rows the lenient policy kept after a repair (also listed in `rejected`, marked `kept`). */
  repairedCount?: number;
  /**
   * Lenient policy: a blank line followed by records of another width ended the table at this line of the
   * chunk (relative); the rows from there are not part of the file's table.
   */
  tableEnd?: number;
  error?: ChunkError;
}
