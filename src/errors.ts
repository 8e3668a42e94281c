/**
 * Every error ingest raises: one class, a stable `code`, the HTTP status the server answers with, and the
 * context a user needs (file, line, organization). Callers branch on `code`, never on message text.
 * The README's error reference lists every code here; a test fails when one is missing there.
 */

export const ERROR_CODES = {
  // Bad input: the user's file or request. 4xx.
  INVALID_OPTION: { status: 400, summary: 'An option or parameter has a bad value.' },
  INVALID_VALUE: {
    status: 400,
    summary: 'A value sent is out of range or malformed for the database (SQLSTATE class 22).',
  },
  INVALID_MULTIPART: {
    status: 400,
    summary:
      'The multipart/form-data body is malformed: no boundary, or it ends before its closing boundary.',
  },
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
  AUDIT_NOT_FOUND: { status: 404, summary: 'No audit with that id or name exists in this organization.' },
  AUDIT_EXISTS: { status: 409, summary: 'An audit with that name already exists in this organization.' },
  AUDIT_TRANSITION: {
    status: 409,
    summary: 'The audit cannot move from its current status to the one asked for.',
  },
  BACKUP_INVALID: {
    status: 400,
    summary:
      'The backup folder is incomplete, or a file in it does not match the checksum its manifest records.',
  },
  RESTORE_TARGET_NOT_EMPTY: {
    status: 409,
    summary: "The database to restore into already holds ingest's schema; restore into an empty database.",
  },
  TABLE_EXISTS: {
    status: 409,
    summary: 'The table to materialize into already exists (use --replace or --append).',
  },
  TYPE_MISMATCH: {
    status: 400,
    summary:
      'A value does not fit the type of the table column it is loaded into (--where-type-fails error).',
  },
  JOB_NOT_FOUND: { status: 404, summary: 'No job with that id exists in this organization.' },
  JOB_STATE_CONFLICT: {
    status: 409,
    summary:
      'The job is not in a state that allows this: only a failed job is retried, only an unfinished one cancelled.',
  },
  KEY_NOT_FOUND: { status: 404, summary: 'No API key with that id exists.' },
  UNAUTHORIZED: {
    status: 401,
    summary:
      'The API key is missing, malformed, unknown or revoked, or the sign-in token is invalid, expired or not from the configured provider.',
  },
  FORBIDDEN: {
    status: 403,
    summary:
      "The API key lacks the scope, or the user's role the permission, this endpoint needs; or an import reads outside its organization's prefix of an allowed bucket.",
  },
  ORG_REQUIRED: {
    status: 400,
    summary: "A signed-in user's request names no organization: send X-Ingest-Organization: <slug>.",
  },
  MEMBER_NOT_FOUND: {
    status: 404,
    summary: 'No member or pending invitation with that user id or email exists in this organization.',
  },
  LAST_OWNER: {
    status: 409,
    summary: 'The change would leave the organization without an owner.',
  },
  TOO_MANY_MEMBERS: {
    status: 409,
    summary: 'The organization has the maximum number of members (INGEST_MAX_MEMBERS).',
  },
  TOO_MANY_INVITATIONS: {
    status: 409,
    summary: 'The organization has the maximum number of pending invitations (INGEST_MAX_INVITATIONS).',
  },
  TOO_MANY_CLIENTS: {
    status: 409,
    summary: 'The agency has the maximum number of client organizations (INGEST_MAX_CLIENTS).',
  },
  TOO_MANY_KEYS: {
    status: 409,
    summary: 'The organization has the maximum number of unrevoked API keys (INGEST_MAX_API_KEYS).',
  },
  NOT_AN_AGENCY: {
    status: 409,
    summary: 'A client organization cannot have client organizations of its own (agencies are one level).',
  },
  RATE_LIMITED: { status: 429, summary: "The API key's per-minute request limit is used up." },
  TOO_MANY_AUTH_FAILURES: {
    status: 429,
    summary: 'Too many failed authentications came from this client address; keys are not looked up for now.',
  },
  TOO_MANY_UPLOADS: {
    status: 429,
    summary: 'The organization or API key already has as many uploads in flight as this server allows.',
  },
  SPOOL_BUDGET_EXCEEDED: {
    status: 429,
    summary: "The organization's uploads in flight on this server would pass its spool budget.",
  },
  UPLOAD_TOO_SLOW: {
    status: 408,
    summary: 'The upload body stalled or arrived slower than the minimum upload rate.',
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
  IDENTITY_PROVIDER_UNAVAILABLE: {
    status: 503,
    summary: "The identity provider's signing keys (INGEST_AUTH_JWKS_URL) could not be fetched; retry later.",
  },
  SHUTTING_DOWN: { status: 503, summary: 'The server is shutting down; retry on another instance.' },
  DATABASE_UNAVAILABLE: {
    status: 503,
    summary:
      'PostgreSQL is unreachable, shutting down, out of resources, or rolled back a conflict; retry later.',
  },
  DATABASE_ERROR: { status: 500, summary: 'PostgreSQL refused a statement.' },
  STORAGE_ERROR: { status: 502, summary: 'The object store failed to store or return an object.' },
  CHECKSUM_MISMATCH: { status: 500, summary: 'Stored bytes do not match their recorded checksum.' },
  WORKER_FAILED: { status: 500, summary: 'A worker thread crashed while processing a chunk.' },
  BACKUP_FAILED: {
    status: 500,
    summary: 'pg_dump or pg_restore failed, or no client binaries matching the server were found.',
  },
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

/**
 * PostgreSQL errors that mean the database cannot serve now, not that the statement is wrong: a retry
 * later may succeed, so the server answers 503 DATABASE_UNAVAILABLE with Retry-After.
 *   class 08          connection exception
 *   class 53          insufficient resources: disk full, out of memory, too many connections
 *   57P01 to 57P05    admin or crash shutdown, cannot connect now, database dropped, idle session timeout
 *   40001, 40P01      serialization failure, deadlock: the transaction was rolled back; running it again works
 * And any error of severity FATAL or PANIC: the server ended the session, e.g. 55000 "not currently
 * accepting connections" while the database is closed to connections (ALTER DATABASE ... ALLOW_CONNECTIONS
 * false), where the SQLSTATE alone (55000, object not in prerequisite state) would not say so.
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 */
function isUnavailable(sqlstate: string, severity: unknown): boolean {
  return (
    sqlstate.startsWith('08') ||
    sqlstate.startsWith('53') ||
    /^57P0[1-5]$/.test(sqlstate) ||
    sqlstate === '40001' ||
    sqlstate === '40P01' ||
    severity === 'FATAL' ||
    severity === 'PANIC'
  );
}
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);
/**
 * node-postgres reports a connection it lost, or one the pool could not open within connectionTimeoutMillis,
 * with an Error that has no code: only these messages of pg and pg-pool tell them apart.
 */
const CONNECTION_MESSAGES = ['Connection terminated', 'timeout exceeded when trying to connect'];

/**
 * Wraps anything thrown into an IngestError, keeping the original as `cause`. Never drops an error.
 * Database errors are classified by SQLSTATE (see isUnavailable). Class 22 (data exception: a value out of
 * range or malformed) comes from a value a user supplied, since the code checks its own (ids, numbers)
 * before writing them into statements: INVALID_VALUE, a 400, whose message does not repeat PostgreSQL's
 * text. Every other SQLSTATE is DATABASE_ERROR, a 500.
 */
export function coerceError(err: unknown, context: ErrorContext = {}): IngestError {
  if (err instanceof IngestError) return Object.keys(context).length ? err.withContext(context) : err;
  const e = err as { code?: unknown; message?: unknown; severity?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const sqlstate = code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (
    (sqlstate && isUnavailable(sqlstate, e?.severity)) ||
    (code && CONNECTION_ERRNOS.has(code)) ||
    CONNECTION_MESSAGES.some((m) => message.includes(m))
  ) {
    const what = sqlstate?.startsWith('40') ? 'database transaction conflict' : 'database connection failed';
    return new IngestError('DATABASE_UNAVAILABLE', `${what}: ${message}`, context, { cause: err });
  }
  if (sqlstate?.startsWith('22')) {
    return new IngestError(
      'INVALID_VALUE',
      `a value is out of range or malformed for the database (SQLSTATE ${sqlstate})`,
      context,
      { cause: err },
    );
  }
  if (sqlstate) {
    return new IngestError('DATABASE_ERROR', `database error ${sqlstate}: ${message}`, context, {
      cause: err,
    });
  }
  return new IngestError('INTERNAL', message, context, { cause: err });
}
