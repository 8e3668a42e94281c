import { finished, PassThrough, pipeline, Readable, Transform } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { IngestError } from '../errors.js';
import { type IngestOptions, type IngestSource, safeFilename } from '../ingest/index.js';
import type { InFlightUpload } from './in-flight-uploads.js';

/** Content types whose body is the CSV itself (registered with a pass-through parser in app.ts). */
export const RAW_CONTENT_TYPES = ['text/csv', 'application/octet-stream'];

/**
 * The request body as an ingest source, never buffered: the raw body, or the `file` field of a
 * multipart body (the first part must be the file; other fields are ignored, options come from the
 * query string). `filename` (the query parameter) overrides the part's file name.
 *
 * The raw body reaches the pipeline through a PassThrough so that a refused upload (too large, over
 * quota, bad CSV) ends the pipeline without destroying the request: the error response can still be
 * sent, and `discardRest()` then drops what the client is still sending.
 */
export async function uploadSource(
  request: FastifyRequest,
  filename: string | undefined,
  byteLimit: NonNullable<IngestOptions['byteLimit']>,
  signal: AbortSignal,
): Promise<IngestSource> {
  if (request.isMultipart()) {
    const part = await untilAborted(
      request
        .file({
          // The pipeline's byte limit decides (with its own code: UPLOAD_TOO_LARGE or QUOTA_EXCEEDED); busboy
          // only stops reading one byte past it, which that limit has refused by then.
          limits: { files: 1, fileSize: byteLimit.bytes + 1, fields: 20, fieldSize: 1024, parts: 21 },
          throwFileSizeLimit: false,
        })
        .catch((err: unknown) => {
          throw malformedMultipart(err);
        }),
      signal,
    );
    if (part?.fieldname !== 'file') {
      part?.file.resume();
      throw new IngestError('INVALID_OPTION', 'the multipart body must start with a "file" field', {
        option: 'file',
      });
    }
    const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
    // As if the pipeline read the part itself: a parse error reaches it coded, and a pipeline that stops
    // early (a limit refused the upload) stops the part too.
    // finished(), not an 'error' listener: busboy may have failed the part before it was handed over.
    finished(part.file, (err) => {
      if (err) stream.destroy(malformedMultipart(err));
    });
    stream.on('close', () => {
      if (!part.file.readableEnded) part.file.destroy();
    });
    // busboy can fail the part before the pipeline reads `stream`: the error stays on `stream` (errored),
    // where the pipeline finds it when it starts, instead of being thrown with no listener yet.
    stream.on('error', () => undefined);
    part.file.pipe(stream);
    return { kind: 'stream', stream, filename: safeFilename(filename ?? part.filename) };
  }
  const body = request.body;
  if (!(body instanceof Readable)) {
    throw new IngestError(
      'UNSUPPORTED_MEDIA_TYPE',
      `send the CSV as ${RAW_CONTENT_TYPES.join(' or ')}, or as multipart/form-data with a "file" field`,
    );
  }
  const name = safeFilename(filename);
  const declared = declaredLength(request);
  // Refused before a byte of the body is read.
  if (declared !== undefined && declared > byteLimit.bytes) {
    throw new IngestError(byteLimit.code, byteLimit.message, { file: name, bytes: declared });
  }
  const stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  body.on('error', (err) => stream.destroy(err));
  body.pipe(stream);
  return {
    kind: 'stream',
    stream,
    filename: name,
    ...(declared !== undefined && { declaredBytes: declared }),
  };
}

/**
 * busboy's own parse errors (no boundary in the Content-Type, the body ending before its closing boundary)
 * are plain Errors without a code: INVALID_MULTIPART. Errors with a code (a connection reset, the request
 * closed early, @fastify/multipart's coded limits) keep their own classification.
 */
function malformedMultipart(err: unknown): Error {
  if (err instanceof IngestError || (err as { code?: unknown })?.code !== undefined) return err as Error;
  return new IngestError(
    'INVALID_MULTIPART',
    `malformed multipart/form-data body: ${(err as Error)?.message ?? String(err)}`,
    { option: 'file' },
    { cause: err },
  );
}

/**
 * The source with its bytes held against the upload's organization budgets as they arrive (quota left
 * and spool, see InFlightUpload): the declared length at once, before a byte is read, then the running
 * total. Past a budget the stream fails with that budget's code, which the pipeline reports as it is.
 * Used for every upload the server spools, request bodies and imported objects alike.
 */
export function heldSource(source: IngestSource, upload: InFlightUpload): IngestSource {
  if (source.kind !== 'stream') return source;
  if (source.declaredBytes !== undefined) upload.holdBytes(source.declaredBytes);
  let total = 0;
  const held = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      try {
        upload.holdBytes(total);
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback(null, chunk);
    },
    flush(callback) {
      upload.received();
      callback();
    },
  });
  // Either side failing destroys the other: a refused budget stops the source (an S3 body is closed).
  pipeline(source.stream, held, () => undefined);
  return { ...source, stream: held };
}

/** `promise`, or the signal's reason once it aborts first (a multipart preamble that never ends). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** After an error response: read and drop the rest of the body, and close the connection once sent. */
export function discardRest(request: FastifyRequest): void {
  if (request.raw.complete) return;
  request.raw.unpipe();
  request.raw.resume();
}

/** Content-Length of a body sent without chunked encoding (then it is exact). */
export function declaredLength(request: FastifyRequest): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined || request.headers['transfer-encoding'] !== undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}
