import type { FastifyInstance } from 'fastify';
import { ping } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import type { RouteContext } from '../context.js';

/** Readiness waits this long for `SELECT 1` before answering 503: a probe must not hang. */
const READY_TIMEOUT_MS = 2_000;

/** `GET /healthz`: the process answers. `GET /readyz`: and its database does too. */
export function healthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async () => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ping(ctx.services.pool),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('database did not answer in time')), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      // PostgreSQL's text (database names, host names) goes to the log with the cause, not to the probe.
      throw new IngestError('DATABASE_UNAVAILABLE', 'database not ready', {}, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });
}
