import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { exposition } from '../telemetry/index.js';

/**
 * GET /metrics (Prometheus text format) is never public: it shows every organization's activity in
 * aggregate and the process's internals. Two ways to reach it, both off unless configured:
 * - a listener of its own (INGEST_METRICS_PORT, on INGEST_METRICS_HOST, loopback by default), for a
 *   Prometheus on the same host or private network;
 * - the API's own port with a bearer token (INGEST_METRICS_TOKEN), for a scraper that reaches the API.
 * Without either, /metrics on the API port is an unknown route (404), like any other.
 */
export interface MetricsSettings {
  /** Port of the metrics listener (0: any free port); unset: no listener. */
  port?: number;
  /** Address of the metrics listener (default 127.0.0.1). */
  host?: string;
  /** Bearer token that opens GET /metrics on the API port; unset: not served there. */
  token?: string;
}

/** Registers GET /metrics on the API when a token is configured; the token is compared in constant time. */
export function metricsRoute(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  const expected = digest(token);
  app.get('/metrics', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new IngestError('UNAUTHORIZED', 'GET /metrics needs the metrics token (INGEST_METRICS_TOKEN)');
    }
    const { contentType, body } = await exposition();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}

/** Equal-length inputs for timingSafeEqual, whatever the length of what the client sent. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export interface MetricsListener {
  /** `http://host:port/metrics` as bound. */
  url: string;
  close(): Promise<void>;
}

/** A plain HTTP listener that answers GET /metrics and 404 to everything else. */
export async function startMetricsListener(
  settings: { port: number; host: string },
  log: Logger,
): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    exposition().then(
      ({ contentType, body }) =>
        response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  // A scraper keeps its connection alive between scrapes; close() must not wait for it.
  server.keepAliveTimeout = 5_000;
  server.listen(settings.port, settings.host);
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    url: `http://${host}:${port}/metrics`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
