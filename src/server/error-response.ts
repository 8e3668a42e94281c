import { coerceError, type ErrorContext, IngestError } from '../errors.js';

/** The body of every error response: `{"error": {"code", "message", ...context}}`. */
export interface ErrorBody {
  error: { code: string; message: string } & ErrorContext;
}

/** Codes whose message may carry internals (SQL, paths): the client gets a generic message, the log the rest. */
const OPAQUE = new Set(['INTERNAL', 'DATABASE_ERROR', 'WORKER_FAILED', 'STORAGE_ERROR']);

/**
 * Maps anything a handler threw to an IngestError: ours as they are, Fastify's own 4xx errors (bad
 * media type, malformed multipart, oversized parts) to the nearest stable code, the rest via coerceError.
 */
export function toIngestError(err: unknown): IngestError {
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
        message: `${error.message.split(':')[0]}; the server log has the details (request ${requestId})`,
        requestId,
      },
    };
  }
  return { error: error.toJSON() };
}
