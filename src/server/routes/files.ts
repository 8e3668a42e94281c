import { PassThrough } from 'node:stream';
import { Type } from 'typebox';
import { getFile, listFilesPage, listReadyFileMetrics, withTenant } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import {
  deleteFile,
  exportParquet,
  exportReadyFile,
  fileDetail,
  fileSummary,
  getReadyFile,
} from '../../ingest/index.js';
import { type Api, actorOf, guard, principalFields, principalOf, type RouteContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../file-cursor.js';
import {
  booleanOption,
  booleanOptionValue,
  choiceOption,
  integerOption,
  textOption,
} from '../option-schemas.js';

const DEFAULT_PAGE = 50;
/** What Fastify sends for a returned object; cached answers are sent as bytes with the same type. */
const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_PAGE = 1000;

/**
 * Any text: an id that is not a UUID names no file, which is 404 FILE_NOT_FOUND like any absent file (the
 * handlers check it), not a 400.
 */
const fileParams = Type.Object({ id: Type.String() });

const listSchema = {
  querystring: Type.Object({
    limit: Type.Optional(integerOption(1, MAX_PAGE)),
    // Decoded by the handler (decodeCursor): a cursor this server did not return is INVALID_OPTION too.
    cursor: Type.Optional(textOption(200)),
  }),
};
const fileSchema = { params: fileParams };
const contentSchema = {
  params: fileParams,
  querystring: Type.Object({
    normalize: Type.Optional(booleanOption()),
    // parquet: typed columns from the inferred types (see ingest/export-parquet.ts).
    format: Type.Optional(choiceOption(['csv', 'parquet'])),
  }),
};

/**
 * The organization's files. Every lookup runs under its tenant context, so another organization's
 * file is exactly as absent as one that never existed: FILE_NOT_FOUND (404) either way. The listing and
 * the metrics are answered from the read cache when it holds them (see ReadCache).
 */
export function fileRoutes(app: Api, ctx: RouteContext): void {
  const { pool, store } = ctx.services;

  // Newest first, keyset-paginated: ?limit=1..1000 (default 50) and ?cursor=<nextCursor of the last page>.
  app.get(
    '/v1/files',
    { schema: listSchema, onRequest: guard(ctx, 'files:read') },
    async (request, reply) => {
      const principal = principalOf(request);
      const limit = request.query.limit ?? DEFAULT_PAGE;
      const { cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const org = principal.organizationId;
      // Keyed by what the cursor means, not how it was spelled: one entry per page, however it is asked for.
      const page = after ? `${BigInt(after.createdMicros)} ${after.id.toLowerCase()}` : '';
      const body = await ctx.readCache.answer(`files ${org} ${limit} ${page}`, org, null, async () => {
        const page = await listFilesPage(pool, org, { limit, ...(after && { after }) });
        return { files: page.files.map(fileSummary), nextCursor: page.next ? encodeCursor(page.next) : null };
      });
      return reply.type(JSON_TYPE).send(body);
    },
  );

  app.get('/v1/files/:id', { schema: fileSchema, onRequest: guard(ctx, 'files:read') }, async (request) => {
    const principal = principalOf(request);
    const { id } = request.params;
    const file = isUuid(id)
      ? await withTenant(pool, principal.organizationId, (db) => getFile(db, id))
      : null;
    if (!file) throw notFound(id);
    return fileDetail(file);
  });

  app.get(
    '/v1/files/:id/metrics',
    { schema: fileSchema, onRequest: guard(ctx, 'files:read') },
    async (request, reply) => {
      const principal = principalOf(request);
      if (!isUuid(request.params.id)) throw notFound(request.params.id);
      // Ids are answered in lower case, as PostgreSQL writes them, however they were asked for.
      const id = request.params.id.toLowerCase();
      const org = principal.organizationId;
      // A ready file's metrics never change; the cache drops them when the file does (deleted, say).
      const body = await ctx.readCache.answer(`metrics ${org} ${id}`, org, id, async () => {
        const metrics = await listReadyFileMetrics(pool, org, id);
        return metrics && { fileId: id, metrics };
      });
      if (!body) throw notFound(id);
      return reply.type(JSON_TYPE).send(body);
    },
  );

  // The rebuilt CSV, streamed chunk by chunk with backpressure; ?normalize=true for RFC 4180 records,
  // ?format=parquet for a Parquet file of typed columns.
  app.get(
    '/v1/files/:id/content',
    { schema: contentSchema, onRequest: guard(ctx, 'files:read') },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const normalize = booleanOptionValue(request.query.normalize, false);
      if (!isUuid(id)) throw notFound(id);
      const parquet = request.query.format === 'parquet';
      if (parquet && normalize) {
        throw new IngestError('INVALID_OPTION', 'normalize applies to CSV only, not to format=parquet', {
          option: 'normalize',
        });
      }
      const file = await getReadyFile(pool, principal.organizationId, id);
      const out = new PassThrough();
      const exported = parquet
        ? exportParquet(pool, store, file, out)
        : exportReadyFile(pool, file, out, { normalize, store });
      exported.then(
        () => out.end(),
        (err: unknown) => {
          // Headers are gone: the client sees the body end early (a truncated chunked response).
          request.log.warn({ err, fileId: id, ...principalFields(request) }, 'export failed while streaming');
          out.destroy(err as Error);
        },
      );
      return reply
        .header('content-type', parquet ? 'application/vnd.apache.parquet' : 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          contentDisposition(
            parquet ? `${file.filename.replace(/\.(csv|tsv|txt)(\.gz)?$/i, '')}.parquet` : file.filename,
          ),
        )
        .send(out);
    },
  );

  app.delete(
    '/v1/files/:id',
    { schema: fileSchema, onRequest: guard(ctx, 'files:delete') },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params;
      if (!isUuid(id)) throw notFound(id);
      await deleteFile(pool, store, principal.organizationId, id, actorOf(request));
      return { fileId: id, deleted: true };
    },
  );
}

function notFound(id: string): IngestError {
  return new IngestError('FILE_NOT_FOUND', `no file ${id}`, { fileId: id.slice(0, 64) });
}

/** `attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266). */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
