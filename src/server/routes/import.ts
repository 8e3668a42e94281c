import type { FastifyInstance } from 'fastify';
import { IngestError } from '../../errors.js';
import { openS3Source, parseS3Url } from '../../ingest/index.js';
import { guard, type RouteContext } from '../context.js';
import { runUpload } from './upload.js';

/**
 * `POST /v1/files/import` (files:write), body `{"url": "s3://bucket/key"}`: ingests an object straight
 * from a bucket, with the same query parameters and answers as `POST /v1/files`. Only buckets listed in
 * INGEST_S3_IMPORT_BUCKETS are readable (403 otherwise): the server's credentials reach more than any one
 * tenant may, above all the store's own bucket, which holds every organization's originals.
 */
export function importRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Body: unknown }>(
    '/v1/files/import',
    { onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const url = importUrl(request.body);
      const { bucket } = parseS3Url(url);
      if (!ctx.imports.buckets.includes(bucket) || bucket === ctx.imports.s3?.bucket) {
        throw new IngestError(
          'FORBIDDEN',
          `importing from bucket ${bucket} is not allowed on this server (INGEST_S3_IMPORT_BUCKETS)`,
          { option: 'url' },
        );
      }
      return runUpload(ctx, request, reply, async (_limit, params, signal) => {
        const source = await openS3Source(url, { ...(ctx.imports.s3 && { s3: ctx.imports.s3 }) }, { signal });
        return params.filename !== undefined && source.kind === 'stream'
          ? { ...source, filename: params.filename }
          : source;
      });
    },
  );
}

function importUrl(body: unknown): string {
  const url = (body as { url?: unknown } | null)?.url;
  if (typeof url !== 'string') {
    throw new IngestError('INVALID_OPTION', 'the body must be JSON {"url": "s3://bucket/key"}', {
      option: 'url',
    });
  }
  return url;
}
