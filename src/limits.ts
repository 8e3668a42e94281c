/**
 * Defaults and bounds for the tuning options, in one place, each with where the number comes from.
 */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const LIMITS = {
  /**
   * Default raw chunk size. Small enough that workers x in-flight chunks stay a few MiB of memory,
   * large enough that per-chunk overhead (a worker round trip, one COPY tuple, one stats snapshot)
   * is noise; measured with the benchmark (see README, "Tuning").
   */
  chunkBytes: { default: 1 * MiB, min: 64 * KiB, max: 64 * MiB },
  /** A single record larger than this fails with RECORD_TOO_LARGE. Bounds memory per record. */
  maxRecordBytes: { default: 64 * MiB, min: 1 * KiB, max: 1 * GiB },
  /** Worker threads; the default is one per core (the pipeline is CPU bound: parse, stats, gzip). */
  workers: { min: 1, max: 64 },
  /** gzip level for chunk payloads: level 1 is ~3x faster than 6 for a ~15% larger payload (measured). */
  gzipLevel: { default: 1, min: 1, max: 9 },
  /**
   * Young-generation heap of each worker thread, in MB. A worker allocates ~2 MiB of short-lived strings
   * per chunk; V8's default lets the young generation grow far past that before collecting. Measured on
   * the 100 MB bench fixture, 2 workers: peak RSS 280 MB by default, ~210 MB at 8 MB, ~190 MB at 4 MB,
   * for the same CPU time within noise (4 MB scavenged noticeably more often).
   */
  workerYoungGenerationMb: 8,
  /** Rejected rows keep at most this much of the row's text. */
  rejectedRawChars: 4 * KiB,
  /** Rejected rows recorded per file, even when --max-errors allows more to be skipped. */
  maxRecordedRejections: 10_000,
  /**
   * Rows per page of `GET /v1/files/:id/rows` and `ingest rows`. The default fills a screen; the maximum
   * keeps a JSON page to a few MiB for typical widths (10,000 rows x ~200 bytes), while a page is still
   * at most a few chunks to decompress at the 1 MiB default chunk size.
   */
  rowsPage: { default: 100, min: 1, max: 10_000 },
  /** Parquet row group size: large enough for columnar compression, small enough to buffer (64k rows). */
  parquetRowGroupRows: 65_536,
} as const;
