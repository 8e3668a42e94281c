import { Type } from 'typebox';
import { IngestError } from '../../errors.js';
import { openS3Source, parseS3Url } from '../../ingest/index.js';
import { type Api, guard, type RouteContext } from '../context.js';
import { runUpload, uploadQuery } from './upload.js';

const importSchema = {
  querystring: uploadQuery,
  // Any content type: a body that is not this JSON object fails here, naming `url`.
  body: Type.Object(
    // The shape parseS3Url reads, checked here so that a bad url is refused before the query is looked at.
    { url: Type.String({ pattern: '^s3://[^/]+/.+$', description: 'an s3://bucket/key URL' }) },
    { description: 'JSON {"url": "s3://bucket/key"}' },
  ),
};

/**
 * `POST /v1/files/import` (files:write), body `{"url": "s3://bucket/key"}`: ingests an object straight
 * from a bucket, with the same query parameters and answers as `POST /v1/files`. Only buckets listed in
 * INGEST_S3_IMPORT_BUCKETS are readable (403 otherwise): the server's credentials reach more than any one
 * tenant may, above all the store's own bucket, which holds every organization's originals.
 */
export function importRoutes(app: Api, ctx: RouteContext): void {
  app.post(
    '/v1/files/import',
    { schema: importSchema, onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const { url } = request.body;
      const { bucket } = parseS3Url(url);
      if (!ctx.imports.buckets.includes(bucket) || bucket === ctx.imports.s3?.bucket) {
        throw new IngestError(
          'FORBIDDEN',
          `importing from bucket ${bucket} is not allowed on this server (INGEST_S3_IMPORT_BUCKETS)`,
          { option: 'url' },
        );
      }
      return runUpload(ctx, request, reply, request.query, async (_limit, params, signal) => {
        const source = await openS3Source(url, { ...(ctx.imports.s3 && { s3: ctx.imports.s3 }) }, { signal });
        return params.filename !== undefined && source.kind === 'stream'
          ? { ...source, filename: params.filename }
          : source;
      });
    },
  );
}
