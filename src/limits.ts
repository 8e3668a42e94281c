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
   * Failed authentications (unknown key, wrong secret, revoked key) a client address may make per
   * minute, and in a burst, before `ingest serve` stops looking its keys up (429 TOO_MANY_AUTH_FAILURES).
   * A client with a mistyped or rotated key fails a few times; 30 lets a person retry by hand and a
   * script with a stale key keep reporting it, while one address costs the database at most 30 key
   * look-ups a minute, not one per request (3,000 random keys cost 2,572 transactions before). 0: off.
   */
  authFailuresPerMinute: { default: 30, min: 0, max: 1_000_000 },
  /**
   * Client addresses whose failed authentications are remembered at most (about 100 bytes each); past
   * it the least recently failing goes, as if it had not failed. Bounds memory whatever addresses
   * connect.
   */
  authFailureAddresses: 10_000,
  /**
   * Columns a file may have (INGEST_MAX_COLUMNS); a header with more is refused with TOO_MANY_COLUMNS
   * before any per-column work. Every column costs a statistics builder in each worker, a snapshot
   * (dense HyperLogLog: 4 KiB) per chunk merged on the main thread, and METRIC_ROWS.perColumn metric rows.
   * Measured at 2,000 columns, a 10 MB file of 1,098 rows through `ingest serve` with 2 workers: 4-7 s
   * on a loaded 2-core machine, peak RSS 94 -> 241 MB, 17,341 metric rows (2.1 MB), a 2.0 MB /metrics
   * answer (README, "Limits of one file"). Costs grow linearly with the column count.
   */
  maxColumns: { default: 2_000, min: 1, max: 1_000_000 },
  /**
   * Bytes of the header record (INGEST_MAX_HEADER_BYTES); a longer one is refused with HEADER_TOO_LARGE.
   * Each column name is stored with each of its 9 metric rows, so without it a 64 MiB header (the record
   * size limit, a ~64 KiB gzip) would write over half a gigabyte of metrics. 1 MiB leaves 2,000 columns
   * an average of 512 bytes per name.
   */
  maxHeaderBytes: { default: 1 * MiB, min: 1 * KiB, max: 1 * GiB },
  /**
   * Decompressed bytes one gzip upload may inflate to (INGEST_MAX_INFLATED_BYTES), whatever its
   * compressed size: bounds the parse, gzip and COPY work a small upload can cause. 64 GiB is about ten
   * minutes of processing on two cores, far beyond any file the 10 GB default upload limit lets in
   * uncompressed.
   */
  maxInflatedBytes: { default: 64 * GiB, min: 1 * KiB, max: Number.MAX_SAFE_INTEGER },
  /**
   * Decompressed bytes per compressed byte a gzip upload may reach (INGEST_MAX_INFLATION_RATIO). Real
   * CSV compresses 3-20x with gzip, very repetitive CSV up to ~100x; a gzip bomb reaches ~1000x (deflate's
   * ceiling is 1032:1). The ratio is checked only once the inflated bytes pass inflationRatioFloorBytes.
   */
  maxInflationRatio: { default: 100, min: 1, max: 1_000_000 },
  /**
   * Inflated bytes below which the ratio is not checked (INGEST_INFLATION_RATIO_FLOOR): a small file may
   * compress better than the ratio allows (a 2 KB gzip of 1 MB of repeated rows) and costs little anyway.
   * 64 MiB is about half a second of worker time.
   */
  inflationRatioFloorBytes: { default: 64 * MiB, min: 0, max: Number.MAX_SAFE_INTEGER },
  /**
   * Uploads one organization may have in flight on one `ingest serve` process (INGEST_MAX_UPLOADS_PER_ORG):
   * twice the uploads a server processes at once (CONCURRENT_INGESTS, 8), so a tenant can keep the
   * server busy with a queue behind it, while stalled bodies cannot pile up without bound.
   */
  maxUploadsPerOrg: { default: 16, min: 1, max: 100_000 },
  /**
   * Uploads one API key may have in flight on one process (INGEST_MAX_UPLOADS_PER_KEY): half the
   * organization's, so one leaked or runaway key cannot take all of its organization's uploads.
   */
  maxUploadsPerKey: { default: 8, min: 1, max: 100_000 },
  /** Seconds a client refused with TOO_MANY_UPLOADS is told to wait (Retry-After): a small upload's time. */
  uploadRetryAfterSeconds: 5,
  /**
   * A body that sends nothing for this long is refused with UPLOAD_TOO_SLOW (INGEST_BODY_IDLE_TIMEOUT):
   * 30 s is well above a healthy client's pauses (TCP retransmits back off to ~15 s) and bounds how long
   * a stalled upload holds its spool file and its organization's upload slot.
   */
  bodyIdleTimeoutMs: { default: 30_000, min: 100, max: 3_600_000 },
  /**
   * Bytes per second a body must average over each idle-timeout window (INGEST_MIN_UPLOAD_RATE); 0 turns
   * the check off. 1 KiB/s is 8 kbit/s, below any working network; a body trickling a few bytes every few
   * seconds stays under it however long it goes on.
   */
  minUploadBytesPerSecond: { default: 1024, min: 0, max: 1024 ** 3 },
  /**
   * How often `ingest serve` removes files and multipart uploads left by dead processes and spool files
   * of dead processes on this machine (INGEST_RECOVERY_INTERVAL): a crashed sibling's rows count against
   * its organization's quota until then. One minute costs one indexed query a minute.
   */
  recoveryIntervalMs: { default: 60_000, min: 1_000, max: 86_400_000 },
  /**
   * A statement that takes longer is recorded in monitoring.statement_timings, which logs.slow_queries
   * reads when pg_stat_statements does not collect (INGEST_SLOW_STATEMENT; 0: off). Half a second is
   * PostgreSQL's usual log_min_duration_statement advice for OLTP work: ingest's request-path statements
   * take milliseconds, so what passes it is a bulk step (COPY, a large delete) or a problem.
   */
  slowStatementMs: { default: 500, min: 0, max: 3_600_000 },
  /**
   * Rows per page of `GET /v1/files/:id/rows` and `ingest rows`. The default fills a screen; the maximum
   * keeps a JSON page to a few MiB for typical widths (10,000 rows x ~200 bytes), while a page is still
   * at most a few chunks to decompress at the 1 MiB default chunk size.
   */
  rowsPage: { default: 100, min: 1, max: 10_000 },
  /** Parquet row group size: large enough for columnar compression, small enough to buffer (64k rows). */
  parquetRowGroupRows: 65_536,
  /**
   * How long a job worker may go without a heartbeat before pg-boss hands its job to another worker
   * (INGEST_JOB_HEARTBEAT). pg-boss refuses less than 10 s; 30 s leaves a busy event loop three refreshes
   * (one every 15 s) before a live worker's job is taken from it, and a SIGKILLed worker's job waits at
   * most about a minute (heartbeat plus one monitor pass, which runs at the same interval).
   */
  jobHeartbeatMs: { default: 30_000, min: 10_000, max: 3_600_000 },
  /**
   * Uploads larger than this are ingested by a job even without `?async=true` (INGEST_ASYNC_THRESHOLD):
   * 256 MiB takes about a minute to ingest on two cores (bench "large file"), longer than proxies and
   * clients commonly hold an idle response. 0 makes every upload asynchronous.
   */
  asyncThresholdBytes: { default: 256 * 1024 * 1024, min: 0, max: Number.MAX_SAFE_INTEGER },
} as const;

/**
 * Metric rows ingest writes per file: METRIC_TYPES in src/metrics/metric-rows.ts has 8 file-level and 9
 * per-column types (a test checks these against it). The default metric-row cap (INGEST_MAX_METRIC_ROWS)
 * is what a file of the maximum column count writes at most: 8 + 9 x 2,000 = 18,008 rows (measured:
 * 17,341 rows, 2.1 MB in analytics.metrics and a 2.0 MB `/metrics` answer; README "Limits of one file").
 */
export const METRIC_ROWS = { perFile: 8, perColumn: 9 } as const;

/** The most metric rows a file of `columns` columns writes. */
export function metricRowsFor(columns: number): number {
  return METRIC_ROWS.perFile + METRIC_ROWS.perColumn * columns;
}

/** Limits on what one file's content may cost, read from the environment (src/config.ts). */
export interface ContentLimits {
  /** A header with more columns is refused (TOO_MANY_COLUMNS). */
  maxColumns: number;
  /** A longer header record is refused (HEADER_TOO_LARGE). */
  maxHeaderBytes: number;
  /** A file that would write more metric rows is refused (TOO_MANY_METRIC_ROWS). */
  maxMetricRows: number;
  /** Inflated bytes of a gzip upload past which it is refused (INFLATED_TOO_LARGE). */
  maxInflatedBytes: number;
  /** Inflated bytes per compressed byte, checked past inflationRatioFloorBytes (INFLATED_TOO_LARGE). */
  maxInflationRatio: number;
  inflationRatioFloorBytes: number;
}

/** The limits when nothing is configured. */
export function defaultContentLimits(): ContentLimits {
  return {
    maxColumns: LIMITS.maxColumns.default,
    maxHeaderBytes: LIMITS.maxHeaderBytes.default,
    maxMetricRows: metricRowsFor(LIMITS.maxColumns.default),
    maxInflatedBytes: LIMITS.maxInflatedBytes.default,
    maxInflationRatio: LIMITS.maxInflationRatio.default,
    inflationRatioFloorBytes: LIMITS.inflationRatioFloorBytes.default,
  };
}

/**
 * Bounds on what one tenant's people can create through the API or the CLI, each refused with its own
 * code, and on sign-in tokens. None comes from a measurement: they are far above what the SaaS's largest
 * customers use (tens of members, a few hundred clients per agency) and small enough that a listing of
 * any of them is one bounded answer and that no tenant can grow the tables without limit.
 */
export const PEOPLE_LIMITS = {
  /** Members of one organization (INGEST_MAX_MEMBERS): TOO_MANY_MEMBERS past it. */
  maxMembers: { default: 1_000, min: 1, max: 1_000_000 },
  /** Pending email invitations of one organization (INGEST_MAX_INVITATIONS): TOO_MANY_INVITATIONS. */
  maxInvitations: { default: 200, min: 0, max: 1_000_000 },
  /** Client organizations of one agency (INGEST_MAX_CLIENTS): TOO_MANY_CLIENTS. */
  maxClients: { default: 1_000, min: 0, max: 1_000_000 },
  /** Unrevoked API keys of one organization created through POST /v1/keys (INGEST_MAX_API_KEYS): TOO_MANY_KEYS. */
  maxApiKeys: { default: 100, min: 0, max: 1_000_000 },
  /**
   * Seconds of clock difference allowed when checking a token's exp and nbf (INGEST_AUTH_CLOCK_TOLERANCE):
   * the provider's clock and ours drift apart by seconds at most; 30 s also covers a token minted just
   * before a request while keeping an expired token unusable half a minute after its end.
   */
  authClockToleranceSeconds: { default: 30, min: 0, max: 300 },
  /**
   * Characters of a sign-in token looked at (longer: UNAUTHORIZED before any parsing). Provider tokens
   * with a few custom claims are 1-2 KB; 8 KiB is also about what HTTP servers accept as one header.
   */
  maxTokenChars: 8 * KiB,
  /**
   * Minimum milliseconds between two fetches of the provider's JWKS caused by unknown key ids: a key
   * rotated in at the provider is picked up within this delay, and tokens with made-up kids cost at most
   * one fetch per period and process. jose's default is 30 s; rotation is rare, 2 s bounds the fetches.
   */
  jwksRefreshCooldownMs: 2_000,
  /**
   * What a server remembers of a user's access per organization (src/cache-coherence/membership-cache.ts):
   * entries at most, and for how long. Membership changes drop it at once through the change feed.
   */
  membershipCacheEntries: 10_000,
  membershipCacheTtlMs: 10_000,
} as const;
