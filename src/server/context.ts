import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Scope } from '../api-keys/index.js';
import type { AuthCache, RateLimiter, ReadCache, UnknownKeyCache } from '../cache-coherence/index.js';
import type { S3Config } from '../config.js';
import type { IngestServices } from '../ingest/index.js';
import type { AuthFailureThrottle } from './auth-failure-throttle.js';
import {
  authenticate,
  cachedPrincipal,
  type Principal,
  parseAuthorization,
  requireScope,
} from './authenticate.js';
import type { InFlightUploads } from './in-flight-uploads.js';
import type { ServerJobs } from './routes/async-upload.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's guard once the API key is verified. */
    principal: Principal | null;
  }
}

/** The app as routes see it: a route's TypeBox schemas type its request's params, query and body. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What every route handler works with. */
export interface RouteContext {
  services: IngestServices;
  /** Largest upload accepted, in bytes (INGEST_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  uploads: InFlightUploads;
  imports: ImportSettings;
  /** Keys verified recently; dropped when revoked (see AuthCache). */
  authCache: AuthCache<Principal>;
  /** Key prefixes found unknown moments ago; forgotten when any key is created (see UnknownKeyCache). */
  unknownKeys: UnknownKeyCache;
  /** Failed authentications per client address (INGEST_AUTH_FAILURES_PER_MINUTE). */
  authFailures: AuthFailureThrottle;
  rateLimiter: RateLimiter;
  /** Serialized answers of the read endpoints, kept while the change feed is live. */
  readCache: ReadCache;
  /** The job queue: async uploads and GET /v1/jobs/:id; without it every upload is synchronous. */
  jobs?: ServerJobs;
}

/** What `POST /v1/files/import` may read. */
export interface ImportSettings {
  /** Buckets tenants may import from; never the store's own bucket, which holds every tenant's originals. */
  buckets: string[];
  /** Endpoint, region and addressing of the S3 service (the store's); AWS defaults without it. */
  s3?: S3Config;
}

/**
 * An onRequest hook for an endpoint needing `scope`: verifies the key (401; 429 from an address that
 * failed too often), counts the request
 * against the key's rate limit (429), then checks the scope (403). It runs before the body is read,
 * so a refused upload costs no transfer. A key verified recently, with requests left in its lease,
 * passes without waiting on anything (the common case of a busy dashboard).
 */
export function guard(ctx: RouteContext, scope: Scope) {
  // `cached`: the key as the auth cache already verified it, when it did.
  const verify = async (request: FastifyRequest, cached: Principal | undefined): Promise<void> => {
    const principal =
      cached ??
      (await authenticate(ctx.services.pool, request.headers.authorization, {
        cache: ctx.authCache,
        unknown: ctx.unknownKeys,
        failures: { throttle: ctx.authFailures, address: request.ip ?? '' },
      }));
    // Set before the limit is checked, so a refusal's log line names the key.
    request.principal = principal;
    await ctx.rateLimiter.enforce(principal);
    requireScope(principal, scope);
  };
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    let cached: Principal | undefined;
    try {
      cached = cachedPrincipal(parseAuthorization(request.headers.authorization), ctx.authCache);
      if (cached && ctx.rateLimiter.take(cached)) {
        request.principal = cached;
        requireScope(cached, scope);
        done();
        return;
      }
    } catch (err) {
      done(err as Error);
      return;
    }
    verify(request, cached).then(() => done(), done);
  };
}

/** The principal a guarded route's handler runs for. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route handler ran without its guard');
  return request.principal;
}

/** Who a request acted for, for its log lines (ids only; never the key). Empty before authentication. */
export function principalFields(request: FastifyRequest): { organizationId?: string; apiKeyId?: string } {
  const principal = request.principal;
  return principal ? { organizationId: principal.organizationId, apiKeyId: principal.apiKeyId } : {};
}
