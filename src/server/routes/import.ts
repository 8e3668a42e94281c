import { Type } from 'typebox';
import { authorizeImport, openS3Source, parseImportUrl, safeFilename } from '../../ingest/index.js';
import { type Api, guard, principalOf, type RouteContext } from '../context.js';
import { runUpload, uploadQuery } from './upload.js';

const importSchema = {
  querystring: uploadQuery,
  // Any content type: a body that is not this JSON object fails here, naming `url`.
  body: Type.Object(
    // The shape parseImportUrl reads, checked here so that a bad url is refused before the query is looked
    // at. 2,048 characters: "s3://", a bucket name (63) and a key (S3's limit is 1,024 bytes).
    {
      url: Type.String({
        pattern: '^s3://[^/]+/.+$',
        maxLength: 2048,
        description: 'an s3://bucket/key URL',
      }),
    },
    { description: 'JSON {"url": "s3://bucket/key"}' },
  ),
};

/**
 * `POST /v1/files/import` (files:write), body `{"url": "s3://bucket/key"}`: ingests an object straight
 * from a bucket, with the same query parameters and answers as `POST /v1/files`. The server's credentials
 * reach more than any one tenant may, above all the store's own bucket, which holds every organization's
 * originals; so the URL is parsed strictly (400 INVALID_IMPORT_URL for any spelling a server could
 * resolve elsewhere), the request sent names exactly the bucket and key checked, and an organization
 * reads only `<its slug>/...` of a bucket listed in INGEST_S3_IMPORT_BUCKETS, never the store's (403).
 */
export function importRoutes(app: Api, ctx: RouteContext): void {
  app.post(
    '/v1/files/import',
    { schema: importSchema, onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const location = parseImportUrl(request.body.url);
      authorizeImport(
        location,
        { buckets: ctx.imports.buckets, storeBucket: ctx.imports.s3?.bucket },
        principalOf(request).organizationSlug,
      );
      return runUpload(ctx, request, reply, request.query, async (_limit, params, signal) => {
        const source = await openS3Source(
          location,
          { ...(ctx.imports.s3 && { s3: ctx.imports.s3 }) },
          { signal, pinTarget: true },
        );
        return params.filename !== undefined && source.kind === 'stream'
          ? { ...source, filename: safeFilename(params.filename) }
          : source;
      });
    },
  );
}
