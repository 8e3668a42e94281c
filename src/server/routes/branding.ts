import { Type } from 'typebox';
import type { EffectiveBranding } from '../../people/index.js';
import { readBranding, writeBranding } from '../../people/index.js';
import { type Api, guard, memberAccess, principalOf, type RouteContext } from '../context.js';
import { nullableText } from './people-schemas.js';

const putSchema = {
  body: Type.Object(
    {
      displayName: Type.Optional(nullableText(100, '1-100 characters, or null to inherit')),
      logoUrl: Type.Optional(
        nullableText(
          2048,
          'an https:// URL of at most 2048 characters, or null to inherit',
          '^https://[^\\s]+$',
        ),
      ),
      primaryColor: Type.Optional(
        nullableText(7, 'a colour as #rrggbb, or null to inherit', '^#[0-9a-fA-F]{6}$'),
      ),
      supportEmail: Type.Optional(
        nullableText(320, 'an email address, or null to inherit', '^[^\\s@]+@[^\\s@]+$'),
      ),
    },
    {
      additionalProperties: false,
      description: 'JSON {"displayName", "logoUrl", "primaryColor", "supportEmail"}',
    },
  ),
};

function brandingJson(b: EffectiveBranding) {
  return {
    displayName: b.displayName,
    logoUrl: b.logoUrl,
    primaryColor: b.primaryColor,
    supportEmail: b.supportEmail,
    own: b.own,
    inherited: b.inherited,
  };
}

/**
 * White-labeling. `GET /v1/branding` (any member): each field the organization's own, else its agency's
 * (`inherited` lists which). `PUT /v1/branding` (owners) replaces the organization's own fields; a field
 * left out or null is inherited. Validated: display name 1-100 characters, logo an https URL, primary
 * colour #rrggbb, support email an address.
 */
export function brandingRoutes(app: Api, ctx: RouteContext): void {
  const { pool } = ctx.services;

  app.get('/v1/branding', { onRequest: guard(ctx, 'files:read') }, async (request) => {
    memberAccess(request);
    return brandingJson(await readBranding(pool, principalOf(request).organizationId));
  });

  app.put(
    '/v1/branding',
    { schema: putSchema, onRequest: guard(ctx, 'organization:manage') },
    async (request) => {
      const b = request.body;
      const written = await writeBranding(pool, memberAccess(request), principalOf(request).organizationId, {
        displayName: b.displayName ?? null,
        logoUrl: b.logoUrl ?? null,
        primaryColor: b.primaryColor?.toLowerCase() ?? null,
        supportEmail: b.supportEmail ?? null,
      });
      return brandingJson(written);
    },
  );
}
