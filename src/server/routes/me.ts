import type { FastifyRequest } from 'fastify';
import { getOwnUser, listUserOrganizations, withAppRole } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { parseCredential } from '../authenticate.js';
import { signedInUser } from '../authenticate-user.js';
import { type Api, type RouteContext, userLookups } from '../context.js';

/**
 * `GET /v1/me`: the signed-in user and every organization they can act in, with their role there and
 * whether it comes from an agency: what an organization switcher needs. Names no organization. For a
 * sign-in token only; an API key has no user (403).
 */
export function meRoutes(app: Api, ctx: RouteContext): void {
  app.get('/v1/me', async (request: FastifyRequest) => {
    const credential = parseCredential(request.headers.authorization);
    if (credential.kind !== 'token')
      throw new IngestError('FORBIDDEN', 'GET /v1/me is for signed-in users; an API key has no user', {});
    const { userId } = await signedInUser(ctx.services.pool, credential.token, userLookups(ctx, request));
    const { user, organizations } = await withAppRole(ctx.services.pool, async (db) => ({
      user: await getOwnUser(db, userId),
      organizations: await listUserOrganizations(db, userId),
    }));
    return {
      user: {
        id: userId,
        externalId: user?.externalId ?? null,
        email: user?.email ?? null,
        name: user?.name ?? null,
        createdAt: user?.createdAt.toISOString() ?? null,
      },
      organizations: organizations.map((o) => ({
        slug: o.organizationSlug,
        name: o.organizationName,
        id: o.organizationId,
        role: o.role,
        viaAgency: o.viaAgency,
        agency: o.parentSlug,
      })),
    };
  });
}
