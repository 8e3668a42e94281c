import type { FastifyInstance } from 'fastify';
import { IngestError, isIngestError } from '../../errors.js';
import { ingest, uploadByteLimit } from '../../ingest/index.js';
import { guard, principalOf, type RouteContext } from '../context.js';
import { choiceParam, integerParam, type QueryParams, textParam } from '../query-params.js';
import { discardRest, uploadSource } from '../upload-source.js';

/**
 * `POST /v1/files` (files:write): the body streams into ingest(). 201 with the IngestResult (the CLI's
 * --json object), 200 when the bytes were already ingested (`duplicate: true`). Query parameters:
 * filename, audit, on_error (strict | skip), max_errors (implies skip).
 */
export function uploadRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/files', { onRequest: guard(ctx, 'files:write') }, async (request, reply) => {
    const principal = principalOf(request);
    const query = request.query as QueryParams;
    const controller = ctx.uploads.begin(reply);
    try {
      const filename = textParam(query, 'filename');
      const audit = textParam(query, 'audit', 200);
      const onError = choiceParam(query, 'on_error', ['strict', 'skip'] as const);
      const maxErrors = integerParam(query, 'max_errors', 0, Number.MAX_SAFE_INTEGER);
      const byteLimit = await uploadByteLimit(
        ctx.services.pool,
        principal.organizationId,
        ctx.maxUploadBytes,
      );
      const source = await uploadSource(request, filename, byteLimit);
      const result = await ingest(ctx.services, source, {
        organization: { id: principal.organizationId, slug: principal.organizationSlug },
        ...(audit !== undefined && { audit }),
        onError: onError ?? (maxErrors !== undefined ? 'skip' : 'strict'),
        ...(maxErrors !== undefined && { maxErrors }),
        byteLimit,
        actor: { name: 'api', apiKeyId: principal.apiKeyId, clientAddress: request.ip },
        signal: controller.signal,
      });
      return reply.code(result.duplicate ? 200 : 201).send(result);
    } catch (err) {
      if (!request.raw.complete) {
        reply.header('connection', 'close');
        discardRest(request);
      }
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && isIngestError(reason) && reason.code === 'SHUTTING_DOWN') throw reason;
      throw err instanceof Error ? err : new IngestError('INTERNAL', String(err));
    } finally {
      ctx.uploads.end(controller);
    }
  });
}
