import { Type } from 'typebox';
import { AUDIT_STATUSES } from '../../domain/index.js';
import {
  attachFile,
  auditDetailJson,
  auditJson,
  auditMetrics,
  changeAudit,
  detachFile,
  findAudits,
  newAudit,
  removeAudit,
  showAudit,
} from '../../ingest/index.js';

import { type Api, actorOf, guard, principalOf, type RouteContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../file-cursor.js';
import { choiceOption, integerOption, textOption } from '../option-schemas.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** A day, `YYYY-MM-DD`; a day that does not exist (02-30) is PostgreSQL's 400 INVALID_VALUE. */
const day = () => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a day written YYYY-MM-DD' });

/** Both ends included; an end left out (or null) is unbounded. */
const period = Type.Object(
  {
    from: Type.Optional(Type.Union([day(), Type.Null()])),
    to: Type.Optional(Type.Union([day(), Type.Null()])),
  },
  { additionalProperties: false },
);
const labels = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ maxLength: 200 }), {
  maxProperties: 50,
});
const description = Type.String({ maxLength: 10000 });
const category = Type.String({ minLength: 1, maxLength: 100 });

const createSchema = {
  body: Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      description: Type.Optional(description),
      category: Type.Optional(category),
      period: Type.Optional(period),
      labels: Type.Optional(labels),
    },
    { additionalProperties: false },
  ),
};
const auditParams = Type.Object({ id: Type.String() });
const fileParams = Type.Object({ id: Type.String(), fileId: Type.String() });
const patchSchema = {
  params: auditParams,
  body: Type.Object(
    {
      description: Type.Optional(description),
      category: Type.Optional(Type.Union([category, Type.Null()])),
      period: Type.Optional(Type.Union([period, Type.Null()])),
      labels: Type.Optional(labels),
      status: Type.Optional(choiceOption(AUDIT_STATUSES)),
    },
    { additionalProperties: false },
  ),
};
const listSchema = {
  querystring: Type.Object({
    q: Type.Optional(textOption(200)),
    status: Type.Optional(choiceOption(AUDIT_STATUSES)),
    category: Type.Optional(textOption(100)),
    // Audits whose period overlaps [from, to].
    from: Type.Optional(day()),
    to: Type.Optional(day()),
    // key:value, as set in the audit's labels.
    label: Type.Optional(
      Type.String({ pattern: '^[^:]{1,100}:.{0,200}$', description: 'key:value, given once' }),
    ),
    limit: Type.Optional(integerOption(1, MAX_PAGE)),
    cursor: Type.Optional(textOption(200)),
  }),
};

/**
 * `/v1/audits`: an organization's audits (files:read to read, files:write to change). Every lookup
 * runs under the key's tenant context, so another organization's audit is AUDIT_NOT_FOUND (404), exactly
 * like one that never existed.
 */
export function auditRoutes(app: Api, ctx: RouteContext): void {
  const { pool } = ctx.services;

  app.post(
    '/v1/audits',
    { schema: createSchema, onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const principal = principalOf(request);
      const { name, period: p, ...rest } = request.body;
      const audit = await newAudit(
        pool,
        principal.organizationId,
        { name, ...rest, ...(p && { period: { from: p.from ?? null, to: p.to ?? null } }) },
        actorOf(request),
      );
      return reply.code(201).send(auditJson(audit));
    },
  );

  app.get('/v1/audits', { schema: listSchema, onRequest: guard(ctx, 'files:read') }, async (request) => {
    const principal = principalOf(request);
    const { q, status, category, from, to, label, cursor } = request.query;
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const colon = label?.indexOf(':') ?? -1;
    const page = await findAudits(pool, principal.organizationId, {
      limit: request.query.limit ?? DEFAULT_PAGE,
      ...(q !== undefined && { q }),
      ...(status !== undefined && { status }),
      ...(category !== undefined && { category }),
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
      ...(label !== undefined && { labels: { [label.slice(0, colon)]: label.slice(colon + 1) } }),
      ...(after && { after }),
    });
    return { audits: page.audits.map(auditJson), nextCursor: page.next ? encodeCursor(page.next) : null };
  });

  app.get(
    '/v1/audits/:id',
    { schema: { params: auditParams }, onRequest: guard(ctx, 'files:read') },
    async (request) => {
      const principal = principalOf(request);
      return auditDetailJson(
        await showAudit(pool, { organizationId: principal.organizationId, audit: request.params.id }),
      );
    },
  );

  app.get(
    '/v1/audits/:id/metrics',
    { schema: { params: auditParams }, onRequest: guard(ctx, 'files:read') },
    async (request) => auditMetrics(pool, principalOf(request).organizationId, request.params.id),
  );

  app.patch(
    '/v1/audits/:id',
    { schema: patchSchema, onRequest: guard(ctx, 'files:write') },
    async (request) => {
      const principal = principalOf(request);
      const { status, period: p, ...fields } = request.body;
      const audit = await changeAudit(
        pool,
        { organizationId: principal.organizationId, audit: request.params.id },
        { ...fields, ...(p !== undefined && { period: p && { from: p.from ?? null, to: p.to ?? null } }) },
        status,
        actorOf(request),
      );
      return auditJson(audit);
    },
  );

  app.delete(
    '/v1/audits/:id',
    { schema: { params: auditParams }, onRequest: guard(ctx, 'files:write') },
    async (request) => {
      const principal = principalOf(request);
      await removeAudit(
        pool,
        { organizationId: principal.organizationId, audit: request.params.id },
        actorOf(request),
      );
      return { auditId: request.params.id.toLowerCase(), deleted: true };
    },
  );

  app.post(
    '/v1/audits/:id/files/:fileId',
    { schema: { params: fileParams }, onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const principal = principalOf(request);
      const { audit, attached } = await attachFile(
        pool,
        { organizationId: principal.organizationId, audit: request.params.id },
        request.params.fileId,
        actorOf(request),
      );
      return reply
        .code(attached ? 201 : 200)
        .send({ auditId: audit.id, fileId: request.params.fileId.toLowerCase(), attached });
    },
  );

  app.delete(
    '/v1/audits/:id/files/:fileId',
    { schema: { params: fileParams }, onRequest: guard(ctx, 'files:write') },
    async (request) => {
      const principal = principalOf(request);
      await detachFile(
        pool,
        { organizationId: principal.organizationId, audit: request.params.id },
        request.params.fileId,
        actorOf(request),
      );
      return {
        auditId: request.params.id.toLowerCase(),
        fileId: request.params.fileId.toLowerCase(),
        detached: true,
      };
    },
  );
}
