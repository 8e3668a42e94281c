import { Type } from 'typebox';
import { IngestError } from '../../errors.js';
import { addMember, changeMemberRole, listMembership, removeMember } from '../../people/index.js';
import { type Api, guard, memberAccess, principalOf, type RouteContext } from '../context.js';
import { roleSchema } from './people-schemas.js';

const addSchema = {
  body: Type.Object(
    {
      email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, description: 'an email address' })),
      externalId: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 255,
          description: "the identity provider's user id (1-255 characters)",
        }),
      ),
      role: roleSchema,
    },
    { additionalProperties: false, description: 'JSON {"email" or "externalId", "role"}' },
  ),
};
const memberParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 320 }) });

/**
 * The organization's people: `GET /v1/members` (any member), `POST /v1/members` (admins invite up to
 * admin, owners any role; by email: pending until the first sign-in with that verified email; by
 * externalId: a membership at once), `PATCH /v1/members/:userId` {role} and `DELETE /v1/members/:userId`
 * (a user id, or the email of a pending invitation). Admins change and remove viewers and members; owners
 * anyone; the last owner stays. Every change is in the activity log with the acting user.
 */
export function memberRoutes(app: Api, ctx: RouteContext): void {
  const { pool } = ctx.services;

  app.get('/v1/members', { onRequest: guard(ctx, 'files:read') }, async (request) => {
    const access = memberAccess(request);
    const { members, invitations } = await listMembership(pool, access, principalOf(request).organizationId);
    return {
      members: members.map((m) => ({
        userId: m.userId,
        externalId: m.externalId,
        email: m.email,
        name: m.name,
        role: m.role,
        createdAt: m.createdAt.toISOString(),
      })),
      invitations: invitations.map((i) => ({
        email: i.email,
        role: i.role,
        invitedBy: i.invitedBy,
        createdAt: i.createdAt.toISOString(),
      })),
    };
  });

  app.post(
    '/v1/members',
    { schema: addSchema, onRequest: guard(ctx, 'members:manage') },
    async (request, reply) => {
      const access = memberAccess(request);
      const { email, externalId, role } = request.body;
      if ((email === undefined) === (externalId === undefined))
        throw new IngestError('INVALID_OPTION', 'give either email or externalId', { option: 'email' });
      const added = await addMember(
        pool,
        access,
        principalOf(request).organizationId,
        email !== undefined ? { email } : { externalId: externalId! },
        role,
        ctx.peopleLimits,
      );
      return reply.code(added.status === 'member' && !added.created ? 200 : 201).send(added);
    },
  );

  app.patch(
    '/v1/members/:userId',
    {
      schema: {
        params: memberParams,
        body: Type.Object({ role: roleSchema }, { additionalProperties: false }),
      },
      onRequest: guard(ctx, 'members:manage'),
    },
    async (request) =>
      changeMemberRole(
        pool,
        memberAccess(request),
        principalOf(request).organizationId,
        request.params.userId,
        request.body.role,
      ),
  );

  app.delete(
    '/v1/members/:userId',
    { schema: { params: memberParams }, onRequest: guard(ctx, 'members:manage') },
    async (request) =>
      removeMember(pool, memberAccess(request), principalOf(request).organizationId, request.params.userId),
  );
}
