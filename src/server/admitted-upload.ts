import type { FastifyReply, FastifyRequest } from 'fastify';
import { type IngestSource, type UploadByteLimit, uploadByteLimit } from '../ingest/index.js';
import { watchBody } from './body-watchdog.js';
import { principalOf, type RouteContext } from './context.js';
import { discardRest, heldSource } from './upload-source.js';

/** What an admitted upload's work is given. */
export interface AdmittedUpload {
  /** The maximum upload size or the organization's quota left, whichever is less. */
  byteLimit: UploadByteLimit;
  /** Aborted when the server shuts down or the body is too slow (UPLOAD_TOO_SLOW); its reason says which. */
  signal: AbortSignal;
  /** The source with its bytes held against the organization's quota and the spool budget. */
  hold(source: IngestSource): IngestSource;
}

/**
 * The life of one upload, synchronous or as a job: admits it (uploads in flight per organization and key),
 * watches its body for a stall or a trickle, works out its byte limit, runs `work`, and whatever happens
 * gives its admission back. On a failure the unread rest of the body is discarded (the connection then
 * closes) and `failure` says what the client is told, from the error and the abort signal.
 */
export async function runAdmittedUpload<T>(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  work: (upload: AdmittedUpload) => Promise<T>,
  failure: (err: unknown, signal: AbortSignal) => unknown,
): Promise<T> {
  const principal = principalOf(request);
  const upload = ctx.uploads.begin(reply, principal);
  const { controller } = upload;
  const stopWatching = watchBody(request, ctx.uploads.limits, (tooSlow) => controller.abort(tooSlow));
  try {
    const byteLimit = await uploadByteLimit(ctx.services.pool, principal.organizationId, ctx.maxUploadBytes);
    upload.setQuotaLeft(byteLimit.quotaLeftBytes);
    return await work({
      byteLimit,
      signal: controller.signal,
      hold: (source) => heldSource(source, upload),
    });
  } catch (err) {
    if (!request.raw.complete) {
      reply.header('connection', 'close');
      discardRest(request);
    }
    throw failure(err, controller.signal);
  } finally {
    stopWatching();
    ctx.uploads.end(upload);
  }
}
