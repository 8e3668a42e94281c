import type { Delimiter, OnErrorPolicy } from '../domain/index.js';
import type { StatsSnapshot } from '../metrics/index.js';

/** Row-level error codes a worker can report (a subset of ErrorCode). */
export type RowErrorCode =
  | 'UNCLOSED_QUOTE'
  | 'INVALID_QUOTE'
  | 'FIELD_COUNT_MISMATCH'
  | 'NUL_BYTE'
  | 'INVALID_UTF8'
  | 'RECORD_TOO_LARGE';

/** What the main thread sends a worker: one chunk (its buffer transferred, not copied) and how to read it. */
export interface ChunkTask {
  /** The chunk's bytes; owned by the worker after transfer. */
  buffer: ArrayBuffer;
  delimiter: Delimiter;
  columnCount: number;
  onError: OnErrorPolicy;
  gzipLevel: number;
  maxRecordBytes: number;
}

/** A row skipped under the skip policy; lines are relative to the chunk (its first line is 1). */
export interface RejectedRow {
  line: number;
  code: RowErrorCode;
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
  error?: ChunkError;
}
