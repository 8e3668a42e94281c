import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PgBoss } from 'pg-boss';
import { uploadByteLimit } from '../../ingest/index.js';
import { enqueueIngest, stageUpload } from '../../jobs/index.js';
import { watchBody } from '../body-watchdog.js';
import { principalOf, type RouteContext } from '../context.js';
import { discardRest, heldSource, uploadSource } from '../upload-source.js';
import type { UploadParams } from './upload.js';

/** The job queue as the server uses it: where async uploads go, and from what size on they must. */
export interface ServerJobs {
  boss: PgBoss;
  /** Uploads declaring more bytes than this run as jobs without `?async=true` (INGEST_ASYNC_THRESHOLD). */
  asyncThresholdBytes: number;
}

/**
 * An upload ingested by a job: admitted and limited as a synchronous upload is (uploads in flight per
 * organization and key, maximum size or quota left, spool budget, slow-body watchdog), its bytes stored in
 * the object store, the job recorded and queued; answers 202 with `Location: /v1/jobs/:id`.
 */
export async function runAsyncUpload(
  ctx: RouteContext,
  jobs: ServerJobs,
  request: FastifyRequest,
  reply: FastifyReply,
  params: UploadParams,
): Promise<FastifyReply> {
  const principal = principalOf(request);
  const upload = ctx.uploads.begin(reply, principal);
  const { controller } = upload;
  const stopWatching = watchBody(request, ctx.uploads.limits, (tooSlow) => controller.abort(tooSlow));
  try {
    const byteLimit = await uploadByteLimit(ctx.services.pool, principal.organizationId, ctx.maxUploadBytes);
    upload.setQuotaLeft(byteLimit.quotaLeftBytes);
    const source = heldSource(
      await uploadSource(request, params.filename, byteLimit, controller.signal),
      upload,
    );
    if (source.kind !== 'stream') throw new Error('an HTTP upload is a stream');
    const staged = await stageUpload(
      ctx.services.store,
      principal.organizationId,
      source.stream,
      byteLimit,
      source.filename,
    );
    const jobId = await enqueueIngest(
      jobs.boss,
      ctx.services.store,
      ctx.services.pool,
      { id: principal.organizationId, slug: principal.organizationSlug },
      staged,
      source.filename,
      {
        ...(params.audit !== undefined && { audit: params.audit }),
        ...(params.onError !== undefined && { onError: params.onError }),
        ...(params.maxErrors !== undefined && { maxErrors: params.maxErrors }),
        ...(Object.keys(params.dialect).length > 0 && { dialect: params.dialect }),
        apiKeyId: principal.apiKeyId,
        clientAddress: request.ip,
      },
    );
    return reply
      .code(202)
      .header('location', `/v1/jobs/${jobId}`)
      .send({ jobId, state: 'queued', bytes: staged.bytes, location: `/v1/jobs/${jobId}` });
  } catch (err) {
    if (!request.raw.complete) {
      reply.header('connection', 'close');
      discardRest(request);
    }
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof Error) throw reason;
    throw err;
  } finally {
    stopWatching();
    ctx.uploads.end(upload);
  }
}
