import { Type } from 'typebox';
import { SCOPES } from '../../api-keys/index.js';
import { apiKeyJson } from '../../ingest/index.js';
import { createMemberKey, listMemberKeys, revokeMemberKey } from '../../people/index.js';
import { type Api, guard, memberAccess, principalOf, type RouteContext } from '../context.js';

const createSchema = {
  body: Type.Object(
    {
      scopes: Type.Array(Type.Enum([...SCOPES], { description: `one of ${SCOPES.join(', ')}` }), {
        minItems: 1,
        maxItems: SCOPES.length,
        uniqueItems: true,
        description: `a list of ${SCOPES.join(', ')}`,
      }),
      name: Type.Optional(Type.String({ maxLength: 200, description: 'at most 200 characters' })),
      rateLimitPerMinute: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'an integer from 1 to 1000000' }),
      ),
    },
    { additionalProperties: false, description: 'JSON {"scopes", "name", "rateLimitPerMinute"}' },
  ),
};

/**
 * The organization's API keys, for its admins and owners: `GET /v1/keys` (never secrets), `POST /v1/keys`
 * {scopes, name, rateLimitPerMinute} (201 with the key, shown this once), `DELETE /v1/keys/:id` (revoke:
 * requests with it fail at once). At most INGEST_MAX_API_KEYS unrevoked keys per organization through
 * this endpoint (TOO_MANY_KEYS). Each change is in the activity log with the acting user.
 */
export function keyRoutes(app: Api, ctx: RouteContext): void {
  const { pool } = ctx.services;

  app.get('/v1/keys', { onRequest: guard(ctx, 'keys:manage') }, async (request) => {
    memberAccess(request);
    const keys = await listMemberKeys(pool, principalOf(request).organizationId);
    return { keys: keys.map(apiKeyJson) };
  });

  app.post(
    '/v1/keys',
    { schema: createSchema, onRequest: guard(ctx, 'keys:manage') },
    async (request, reply) => {
      const access = memberAccess(request);
      const { record, key } = await createMemberKey(
        pool,
        access,
        principalOf(request).organizationId,
        {
          scopes: request.body.scopes,
          name: request.body.name ?? '',
          ...(request.body.rateLimitPerMinute !== undefined && {
            rateLimitPerMinute: request.body.rateLimitPerMinute,
          }),
        },
        ctx.peopleLimits.maxApiKeys,
      );
      return reply.code(201).send({ ...apiKeyJson(record), key });
    },
  );

  app.delete(
    '/v1/keys/:id',
    {
      schema: { params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }) },
      onRequest: guard(ctx, 'keys:manage'),
    },
    async (request) => {
      const revoked = await revokeMemberKey(
        pool,
        memberAccess(request),
        principalOf(request).organizationId,
        request.params.id,
      );
      return apiKeyJson(revoked);
    },
  );
}
