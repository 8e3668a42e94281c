import { Type } from 'typebox';
import { IngestError } from '../../errors.js';
import { isUuid } from '../../ids.js';
import {
  getReadyFile,
  parseColumnList,
  readRejectedPage,
  readRowsPage,
  rowsPageCsv,
} from '../../ingest/index.js';
import { LIMITS } from '../../limits.js';
import { type Api, guard, principalOf, type RouteContext } from '../context.js';
import { integerOption, textOption } from '../option-schemas.js';

const fileParams = Type.Object({ id: Type.String() });
/** Offsets are rows, up to the largest row number PostgreSQL's first_row (bigint) and JSON both hold exactly. */
const offsetOption = () => integerOption(0, Number.MAX_SAFE_INTEGER);

const rowsSchema = {
  params: fileParams,
  querystring: Type.Object({
    offset: Type.Optional(offsetOption()),
    limit: Type.Optional(integerOption(LIMITS.rowsPage.min, LIMITS.rowsPage.max)),
    // A comma-separated list of column names, checked against the file's columns by the handler.
    columns: Type.Optional(textOption(8192)),
  }),
};
const rejectedSchema = {
  params: fileParams,
  querystring: Type.Object({
    offset: Type.Optional(offsetOption()),
    limit: Type.Optional(integerOption(LIMITS.rowsPage.min, LIMITS.rowsPage.max)),
  }),
};

/** `Accept: text/csv` (anywhere in the list) asks for CSV; anything else gets JSON. */
const wantsCsv = (accept: string | undefined): boolean => /(^|[\s,])text\/csv\b/i.test(accept ?? '');

/**
 * Reading a file's data back: a page of its rows (JSON, or CSV with `Accept: text/csv`) and its rejected
 * rows. A page reads only the chunks that hold it. Same scope and tenant rules as the other file reads.
 */
export function rowRoutes(app: Api, ctx: RouteContext): void {
  const { pool, store } = ctx.services;

  app.get(
    '/v1/files/:id/rows',
    { schema: rowsSchema, onRequest: guard(ctx, 'files:read') },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      if (!isUuid(id)) throw notFound(id);
      const { offset = 0, limit = LIMITS.rowsPage.default, columns } = request.query;
      const file = await getReadyFile(pool, principal.organizationId, id);
      const page = await readRowsPage(pool, store, file, {
        offset,
        limit,
        ...(columns !== undefined && { columns: parseColumnList(columns) }),
      });
      if (!wantsCsv(request.headers.accept)) return page;
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('ingest-total-rows', String(page.total))
        .header('ingest-next-offset', page.nextOffset === null ? '' : String(page.nextOffset))
        .send(rowsPageCsv(page));
    },
  );

  app.get(
    '/v1/files/:id/rejected',
    { schema: rejectedSchema, onRequest: guard(ctx, 'files:read') },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params;
      if (!isUuid(id)) throw notFound(id);
      const { offset = 0, limit = LIMITS.rowsPage.default } = request.query;
      const file = await getReadyFile(pool, principal.organizationId, id);
      return { fileId: file.id, ...(await readRejectedPage(pool, file, { offset, limit })) };
    },
  );
}

function notFound(id: string): IngestError {
  return new IngestError('FILE_NOT_FOUND', `no file ${id}`, { fileId: id.slice(0, 64) });
}
