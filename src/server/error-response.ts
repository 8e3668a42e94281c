import { coerceError, ERROR_CODES, type ErrorContext, IngestError } from '../errors.js';

/** The body of every error response: `{"error": {"code", "message", ...context}}`. */
export interface ErrorBody {
  error: { code: string; message: string } & ErrorContext;
}

/**
 * Codes whose message may carry internals (SQL, PostgreSQL's own text, paths, host names): the client gets
 * the code's generic summary, the log the rest.
 */
const OPAQUE = new Set([
  'INTERNAL',
  'DATABASE_ERROR',
  'DATABASE_UNAVAILABLE',
  'WORKER_FAILED',
  'STORAGE_ERROR',
]);

/**
 * Seconds a client is asked to wait (Retry-After) when the database is unavailable: a restarting or
 * failing-over PostgreSQL takes seconds to accept connections again, and clients retrying sooner would
 * only add connection attempts to its recovery.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Maps anything a handler threw to an IngestError: ours as they are, Fastify's own 4xx errors (bad
 * media type, malformed multipart, oversized parts) to the nearest stable code, the rest via coerceError
 * (which classifies database errors by SQLSTATE). DATABASE_UNAVAILABLE gets a Retry-After.
 */
export function toIngestError(err: unknown): IngestError {
  const error = classify(err);
  if (error.code === 'DATABASE_UNAVAILABLE' && error.context.retryAfterSeconds === undefined) {
    return error.withContext({ retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS });
  }
  return error;
}

function classify(err: unknown): IngestError {
  if (err instanceof IngestError) return err;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  const status = typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (status === 415) return new IngestError('UNSUPPORTED_MEDIA_TYPE', message, {}, { cause: err });
  if (status === 413) return new IngestError('UPLOAD_TOO_LARGE', message, {}, { cause: err });
  if (status !== undefined && status >= 400 && status < 500) {
    return new IngestError('INVALID_OPTION', message, {}, { cause: err });
  }
  return coerceError(err);
}

export function errorBody(error: IngestError, requestId: string): ErrorBody {
  if (OPAQUE.has(error.code)) {
    return {
      error: {
        code: error.code,
        message: `${ERROR_CODES[error.code].summary} The server log has the details (request ${requestId}).`,
        requestId,
      },
    };
  }
  return { error: error.toJSON() };
}
