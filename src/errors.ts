/**
 * Every error ingest raises: one class, a stable `code`, the HTTP status the server answers with, and the
 * context a user needs (file, line, organization). Callers branch on `code`, never on message text.
 * The README's error reference lists every code here; a test fails when one is missing there.
 */

export const ERROR_CODES = {
  // Bad input: the user's file or request. 4xx.
  INVALID_OPTION: { status: 400, summary: 'An option or parameter has a bad value.' },
  EMPTY_FILE: { status: 400, summary: 'The upload has no bytes, or only blank lines.' },
  NOT_CSV: { status: 415, summary: 'The bytes are not delimited text (binary data, an image, an archive).' },
  UNSUPPORTED_ENCODING: { status: 415, summary: 'The text encoding could not be detected with confidence.' },
  INVALID_UTF8: { status: 400, summary: 'A line is not valid UTF-8 in a file detected as UTF-8.' },
  UNCLOSED_QUOTE: { status: 400, summary: 'A quoted field is never closed.' },
  INVALID_QUOTE: {
    status: 400,
    summary: 'A quote appears inside an unquoted field, or text follows a closing quote.',
  },
  FIELD_COUNT_MISMATCH: { status: 400, summary: 'A row has more or fewer fields than the header.' },
  NUL_BYTE: { status: 400, summary: 'A row contains a NUL byte.' },
  RECORD_TOO_LARGE: { status: 413, summary: 'One record is larger than the maximum record size.' },
  TOO_MANY_ERRORS: { status: 400, summary: 'More rows were rejected than --max-errors allows.' },
  TOO_MANY_COLUMNS: {
    status: 422,
    summary: 'The header has more columns than the maximum column count (INGEST_MAX_COLUMNS).',
  },
  HEADER_TOO_LARGE: {
    status: 413,
    summary: 'The header record is longer than the maximum header size (INGEST_MAX_HEADER_BYTES).',
  },
  TOO_MANY_METRIC_ROWS: {
    status: 422,
    summary: 'The file would write more metric rows than the maximum (INGEST_MAX_METRIC_ROWS).',
  },
  INFLATED_TOO_LARGE: {
    status: 413,
    summary: 'A gzip upload inflates past the maximum inflated size or compression ratio.',
  },
  UPLOAD_TOO_LARGE: { status: 413, summary: 'The upload is larger than the maximum upload size.' },
  QUOTA_EXCEEDED: { status: 403, summary: "The upload would exceed the organization's storage quota." },
  SOURCE_NOT_FOUND: { status: 404, summary: 'The input file or object does not exist or cannot be read.' },
  FILE_NOT_FOUND: { status: 404, summary: 'No file with that id exists in this organization.' },
  ORG_NOT_FOUND: { status: 404, summary: 'No organization with that slug exists.' },
  ORG_EXISTS: { status: 409, summary: 'An organization with that slug already exists.' },
  KEY_NOT_FOUND: { status: 404, summary: 'No API key with that id exists.' },
  UNAUTHORIZED: { status: 401, summary: 'The API key is missing, malformed, unknown or revoked.' },
  FORBIDDEN: {
    status: 403,
    summary:
      "The API key lacks the scope this endpoint needs, or an import reads outside its organization's prefix of an allowed bucket.",
  },
  RATE_LIMITED: { status: 429, summary: "The API key's per-minute request limit is used up." },
  TOO_MANY_AUTH_FAILURES: {
    status: 429,
    summary: 'Too many failed authentications came from this client address; keys are not looked up for now.',
  },
  CANCELLED: { status: 499, summary: 'The ingest was cancelled (signal or client disconnect).' },
  ROUTE_NOT_FOUND: { status: 404, summary: 'No HTTP endpoint has that method and path.' },
  INVALID_IMPORT_URL: {
    status: 400,
    summary:
      'An import URL is not one plain s3://bucket/key: dot or empty segments, escapes, backslashes or control characters.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    summary: 'The request body is neither text/csv (or application/octet-stream) nor multipart/form-data.',
  },
  // Faults of the system around ingest. 5xx: retrying may succeed.
  SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down; retry on another instance.' },
  DATABASE_UNAVAILABLE: { status: 503, summary: 'PostgreSQL could not be reached or stopped answering.' },
  DATABASE_ERROR: { status: 500, summary: 'PostgreSQL refused a statement.' },
  STORAGE_ERROR: { status: 502, summary: 'The object store failed to store or return an object.' },
  CHECKSUM_MISMATCH: { status: 500, summary: 'Stored bytes do not match their recorded checksum.' },
  WORKER_FAILED: { status: 500, summary: 'A worker thread crashed while processing a chunk.' },
  INTERNAL: { status: 500, summary: 'An unexpected error; the log has its details.' },

  // Not errors: what the lenient policy records in rejected_rows (kept = true) for each row it repaired,
  // and where it stopped at a second table. Never raised; the upload succeeds (200/201).
  FIELDS_PADDED: { status: 200, summary: 'Lenient: a short row was kept, padded with empty fields.' },
  FIELDS_JOINED: { status: 200, summary: 'Lenient: extra fields were kept, joined into the last column.' },
  QUOTE_REPAIRED: { status: 200, summary: 'Lenient: a stray or unclosed quote was read as a character.' },
  SECOND_TABLE: { status: 200, summary: 'Lenient: a second table after a blank line was not loaded.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Context a user needs to act on an error. Never raw row contents beyond what the user sent for that row. */
export interface ErrorContext {
  file?: string;
  line?: number;
  organization?: string;
  fileId?: string;
  option?: string;
  [key: string]: string | number | boolean | undefined;
}

export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** The same shape the CLI prints with --json and the server answers with. */
  toJSON(): { code: ErrorCode; message: string } & ErrorContext {
    return { ...this.context, code: this.code, message: this.message };
  }

  /** Returns a copy with more context (the pipeline adds the file name to errors raised deep inside). */
  withContext(extra: ErrorContext): IngestError {
    const merged = new IngestError(
      this.code,
      this.message,
      { ...extra, ...this.context },
      { cause: this.cause },
    );
    merged.stack = this.stack;
    return merged;
  }
}

export function isIngestError(err: unknown): err is IngestError {
  return err instanceof IngestError;
}

/** PostgreSQL SQLSTATE classes that mean "the server went away", not "the statement is wrong". */
const CONNECTION_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
]);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/** Wraps anything thrown into an IngestError, keeping the original as `cause`. Never drops an error. */
export function coerceError(err: unknown, context: ErrorContext = {}): IngestError {
  if (err instanceof IngestError) return Object.keys(context).length ? err.withContext(context) : err;
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code && (CONNECTION_SQLSTATES.has(code) || CONNECTION_ERRNOS.has(code))) {
    return new IngestError('DATABASE_UNAVAILABLE', `database connection failed: ${message}`, context, {
      cause: err,
    });
  }
  if (message.includes('Connection terminated')) {
    return new IngestError('DATABASE_UNAVAILABLE', `database connection failed: ${message}`, context, {
      cause: err,
    });
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    return new IngestError('DATABASE_ERROR', `database error ${code}: ${message}`, context, { cause: err });
  }
  return new IngestError('INTERNAL', message, context, { cause: err });
}
