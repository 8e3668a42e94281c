import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { Dialect, DialectOverrides, OnErrorPolicy } from '../domain/index.js';
import type { ContentLimits } from '../limits.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';
import type { ChunkPool } from '../workers/index.js';

/** Where an upload's bytes come from. */
export type IngestSource =
  | { kind: 'path'; path: string; filename?: string }
  | { kind: 'stream'; stream: Readable; filename: string; declaredBytes?: number };

/** Long-lived resources an ingest uses; one set per process. */
export interface IngestServices {
  pool: pg.Pool;
  store: ObjectStore;
  workers: ChunkPool;
  spoolDir: string;
  log: Logger;
  /** Bounds how many received uploads are processed at once (the server's); unbounded when absent. */
  admission?: Admission;
  /** What one file's content may cost (columns, metric rows, inflated bytes); the defaults when absent. */
  limits?: ContentLimits;
}

/**
 * A counting gate taken after an upload is received and before it is processed: each ingest holds up
 * to two database connections while processing, so a server bounds them below its pool size.
 */
export interface Admission {
  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

/** Who asked, for the activity log. */
export interface Actor {
  /** `cli:<user>`, `api` (an API key) or `user:<user id>` (a signed-in user). */
  name: string;
  apiKeyId?: string;
  userId?: string;
  clientAddress?: string;
}

export interface Progress {
  /** Bytes of the upload read so far by the current phase. */
  bytes: number;
  totalBytes: number | undefined;
  phase: 'receiving' | 'hashing' | 'processing';
}

export interface IngestOptions {
  organization: { id: string; slug: string };
  /** Audit (named group of files) to file this upload under; created on first use. */
  audit?: string;
  onError?: OnErrorPolicy;
  /** Dialect choices that replace the sniffer's (delimiter, quote, escape, header...); stored on the file row. */
  dialect?: DialectOverrides;
  /** Under `skip`, fail the file once more than this many rows were rejected. */
  maxErrors?: number;
  /** Target raw chunk size in bytes. */
  chunkBytes?: number;
  maxRecordBytes?: number;
  gzipLevel?: number;
  /** Refuse the upload once it exceeds this many bytes, with this error code. */
  byteLimit?: { bytes: number; code: 'UPLOAD_TOO_LARGE' | 'QUOTA_EXCEEDED'; message: string };
  actor?: Actor;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** The result of one ingest; the CLI's --json object and the HTTP response body. */
export interface IngestResult {
  fileId: string;
  organization: string;
  filename: string;
  sha256: string;
  duplicate: boolean;
  bytes: number;
  rows: number;
  columns: number;
  chunks: number;
  storedBytes: number;
  rejectedRows: number;
  /** Rows the lenient policy kept after a repair (padded, joined, quote repaired); 0 otherwise. */
  repairedRows: number;
  seconds: number;
  encoding: string;
  delimiter: string;
  /** How the file was read: sniffed or given (see Dialect); as stored on the file row. */
  dialect: Dialect | null;
  /** How sure the sniffer was of the dialect, 0-1. */
  confidence: number | null;
}
