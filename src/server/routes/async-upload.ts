import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PgBoss } from 'pg-boss';
import { enqueueIngest, stageUpload } from '../../jobs/index.js';
import { runAdmittedUpload } from '../admitted-upload.js';
import { principalOf, type RouteContext } from '../context.js';
import { uploadSource } from '../upload-source.js';
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
  return runAdmittedUpload(
    ctx,
    request,
    reply,
    async ({ byteLimit, signal, hold }) => {
      const source = hold(await uploadSource(request, params.filename, byteLimit, signal));
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
    },
    // The server's own reason for aborting (shutting down, a body too slow) is what the client is told.
    (err, signal) => {
      const reason: unknown = signal.reason;
      return signal.aborted && reason instanceof Error ? reason : err;
    },
  );
}
