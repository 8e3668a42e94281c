import { Type } from 'typebox';
import { IngestError } from '../../errors.js';
import { deleteOrganization } from '../../ingest/index.js';
import { changeQuota, createClient, listClients } from '../../people/index.js';
import { type Api, guard, memberAccess, principalOf, type RouteContext } from '../context.js';
import { slugSchema } from './people-schemas.js';

const createSchema = {
  body: Type.Object(
    {
      slug: slugSchema,
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: '1-200 characters' })),
    },
    { additionalProperties: false, description: 'JSON {"slug", "name"}' },
  ),
};
const orgParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 63 }) });
const quotaSchema = {
  params: orgParams,
  body: Type.Object(
    {
      quotaBytes: Type.Unsafe<number | null>({
        type: ['integer', 'null'],
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'a number of bytes, or null for no quota',
      }),
    },
    { additionalProperties: false },
  ),
};

/**
 * Organizations as their members see them. `GET /v1/organizations`: the clients of the agency the request
 * acts in; `POST /v1/organizations` {slug, name}: a new client of it (agency admins and owners; one level:
 * a client has no clients). `PATCH /v1/organizations/:slug` {quotaBytes} and `DELETE /v1/organizations/:slug`:
 * the owner changes the quota of, or deletes, the organization the request acts in (`:slug` must name it).
 */
export function organizationRoutes(app: Api, ctx: RouteContext): void {
  const { pool } = ctx.services;

  app.get('/v1/organizations', { onRequest: guard(ctx, 'files:read') }, async (request) => {
    memberAccess(request);
    const clients = await listClients(pool, principalOf(request).organizationId);
    return {
      organizations: clients.map((c) => ({
        id: c.id,
        slug: c.slug,
        name: c.name,
        createdAt: c.createdAt.toISOString(),
      })),
    };
  });

  app.post(
    '/v1/organizations',
    { schema: createSchema, onRequest: guard(ctx, 'clients:create') },
    async (request, reply) => {
      const access = memberAccess(request);
      const principal = principalOf(request);
      const client = await createClient(
        pool,
        access,
        { id: principal.organizationId, slug: principal.organizationSlug },
        { slug: request.body.slug, ...(request.body.name !== undefined && { name: request.body.name }) },
        ctx.peopleLimits.maxClients,
      );
      return reply.code(201).send({
        id: client.id,
        slug: client.slug,
        name: client.name,
        agency: principal.organizationSlug,
        createdAt: client.createdAt.toISOString(),
      });
    },
  );

  /** The organization the request acts in, which `:slug` must name (404 otherwise, as for any other). */
  const actingOrganization = (request: Parameters<typeof principalOf>[0], slug: string) => {
    const principal = principalOf(request);
    if (slug !== principal.organizationSlug)
      throw new IngestError('ORG_NOT_FOUND', `organization ${JSON.stringify(slug)} does not exist`, {
        organization: slug,
      });
    return { id: principal.organizationId, slug: principal.organizationSlug };
  };

  app.patch(
    '/v1/organizations/:slug',
    { schema: quotaSchema, onRequest: guard(ctx, 'organization:manage') },
    async (request) => {
      const access = memberAccess(request);
      const organization = actingOrganization(request, request.params.slug);
      await changeQuota(pool, access, organization, request.body.quotaBytes);
      return { organization: organization.slug, quotaBytes: request.body.quotaBytes };
    },
  );

  app.delete(
    '/v1/organizations/:slug',
    { schema: { params: orgParams }, onRequest: guard(ctx, 'organization:manage') },
    async (request) => {
      memberAccess(request);
      const organization = actingOrganization(request, request.params.slug);
      const deleted = await deleteOrganization(
        { pool, store: ctx.services.store, log: ctx.services.log },
        organization.slug,
      );
      return { organization: deleted.organization, deleted: true, objects: deleted.objects };
    },
  );
}
