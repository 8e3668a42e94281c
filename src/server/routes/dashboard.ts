import { Type } from 'typebox';
import { funnelRange, organizationDashboard } from '../../ingest/index.js';
import { type Api, guard, principalOf, type RouteContext } from '../context.js';
import { integerOption } from '../option-schemas.js';

const day = () => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a day written YYYY-MM-DD' });

const schema = {
  querystring: Type.Object({
    // The funnel's range: audits created from `from` to `to` (both included); default the last 30 days.
    from: Type.Optional(day()),
    to: Type.Optional(day()),
    // How many recently changed audits to include.
    recent: Type.Optional(integerOption(0, 100)),
  }),
};

/**
 * `GET /v1/dashboard` (files:read): the organization's totals, storage breakdown, audit funnel and recent
 * audits, in one request answered by one SQL statement (see db/dashboards.ts).
 */
export function dashboardRoutes(app: Api, ctx: RouteContext): void {
  app.get('/v1/dashboard', { schema, onRequest: guard(ctx, 'files:read') }, async (request) => {
    const principal = principalOf(request);
    const range = funnelRange(request.query.from, request.query.to);
    return organizationDashboard(
      ctx.services.pool,
      principal.organizationId,
      range,
      request.query.recent ?? 10,
    );
  });
}
