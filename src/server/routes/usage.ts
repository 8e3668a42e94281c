import type { FastifyInstance } from 'fastify';
import { storageUsage, withTenant } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { guard, principalOf, type RouteContext } from '../context.js';

/** `GET /v1/usage` (files:read): bytes used (tenant.calculate_storage_usage) against the quota. */
export function usageRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/v1/usage', { onRequest: guard(ctx, 'files:read') }, async (request) => {
    const principal = principalOf(request);
    const usage = await withTenant(ctx.services.pool, principal.organizationId, (db) =>
      storageUsage(db, principal.organizationId),
    );
    if (!usage) throw new IngestError('UNAUTHORIZED', 'the organization of this API key no longer exists');
    return {
      organization: usage.slug,
      usedBytes: usage.usedBytes,
      quotaBytes: usage.quotaBytes,
      remainingBytes: usage.quotaBytes === null ? null : Math.max(0, usage.quotaBytes - usage.usedBytes),
    };
  });
}
