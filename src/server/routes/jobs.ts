import { Type } from 'typebox';
import { getJob, type JobRecord, withTenant } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import { type Api, guard, principalOf, type RouteContext } from '../context.js';

/** A job as GET /v1/jobs/:id answers it: state, progress, and the result or the coded error. */
export function jobJson(job: JobRecord): Record<string, unknown> {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    filename: job.filename,
    attempts: job.attempts,
    progress: { bytes: job.bytesDone, totalBytes: job.bytesTotal, rows: job.rowsDone },
    fileId: job.fileId,
    result: job.result,
    error: job.errorCode === null ? null : { code: job.errorCode, message: job.errorMessage },
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/**
 * `GET /v1/jobs/:id` (files:read): the organization's own jobs only (row-level security on
 * storage_meta.jobs); another organization's job is as absent as one that never existed.
 */
export function jobRoutes(app: Api, ctx: RouteContext): void {
  app.get(
    '/v1/jobs/:id',
    { schema: { params: Type.Object({ id: Type.String() }) }, onRequest: guard(ctx, 'files:read') },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const job = isUuid(id)
        ? await withTenant(ctx.services.pool, principal.organizationId, (client) => getJob(client, id))
        : null;
      if (!job) throw new IngestError('JOB_NOT_FOUND', `no job ${id}`, { jobId: id.slice(0, 64) });
      return reply.send(jobJson(job));
    },
  );
}
