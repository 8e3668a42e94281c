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
} as const;
