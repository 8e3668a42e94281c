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
import type {
  AuthCache,
  MembershipCache,
  RateLimiter,
  ReadCache,
  UnknownKeyCache,
} from '../cache-coherence/index.js';
import type { PeopleLimits, S3Config } from '../config.js';
import type { Permission } from '../domain/index.js';
import { IngestError } from '../errors.js';
import type { IngestServices } from '../ingest/index.js';
import type { PeopleAccess } from '../people/index.js';
import type { AuthFailureThrottle } from './auth-failure-throttle.js';
import {
  authenticate,
  cachedPrincipal,
  type KeyPrincipal,
  type Principal,
  parseCredential,
  requirePermission,
  type UserPrincipal,
} from './authenticate.js';
import { authenticateUser, ORGANIZATION_HEADER } from './authenticate-user.js';
import type { InFlightUploads } from './in-flight-uploads.js';
import type { ServerJobs } from './routes/async-upload.js';
import type { SignInTokens } from './sign-in-tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the route's guard once the API key or the sign-in token is verified. */
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
  authCache: AuthCache<KeyPrincipal>;
  /** The identity provider's token verifier; absent when INGEST_AUTH_ISSUER is unset (keys only). */
  signInTokens: SignInTokens | undefined;
  /** Signed-in users' access per organization; dropped on any membership change (see MembershipCache). */
  memberships: MembershipCache<UserPrincipal>;
  /** Bounds on members, invitations, clients and keys. */
  peopleLimits: PeopleLimits;
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
 * An onRequest hook for an endpoint needing `permission` (src/domain/roles.ts). An API key (`ik_...`):
 * verifies the key (401; 429 from an address that failed too often), counts the request against the
 * key's rate limit (429), then checks the scope (403). A sign-in token: verifies it against the provider
 * (401), finds the user's role in the organization of X-Ingest-Organization (400 without it, 404 when not
 * a member, as for a missing organization), then checks the role (403). It runs before the body is read,
 * so a refused upload costs no transfer. A key verified recently, with requests left in its lease,
 * passes without waiting on anything (the common case of a busy dashboard).
 */
export function guard(ctx: RouteContext, permission: Permission) {
  // `cached`: the key as the auth cache already verified it, when it did.
  const verify = async (request: FastifyRequest, cached: KeyPrincipal | undefined): Promise<void> => {
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
    requirePermission(principal, permission);
  };
  const verifyUser = async (request: FastifyRequest, token: string): Promise<void> => {
    const principal = await authenticateUser(
      ctx.services.pool,
      token,
      request.headers[ORGANIZATION_HEADER],
      userLookups(ctx, request),
    );
    request.principal = principal;
    requirePermission(principal, permission);
  };
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    let cached: KeyPrincipal | undefined;
    try {
      const credential = parseCredential(request.headers.authorization);
      if (credential.kind === 'token') {
        verifyUser(request, credential.token).then(() => done(), done);
        return;
      }
      cached = cachedPrincipal(credential, ctx.authCache);
      if (cached && ctx.rateLimiter.take(cached)) {
        request.principal = cached;
        requirePermission(cached, permission);
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

/** What authenticating a signed-in user of this request consults. */
export function userLookups(ctx: RouteContext, request: FastifyRequest) {
  return {
    tokens: ctx.signInTokens,
    memberships: ctx.memberships,
    failures: { throttle: ctx.authFailures, address: request.ip ?? '' },
  };
}

/** The principal a guarded route's handler runs for. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route handler ran without its guard');
  return request.principal;
}

/** Who a request acted for, for its log lines (ids only; never the key). Empty before authentication. */
export function principalFields(request: FastifyRequest): {
  organizationId?: string;
  apiKeyId?: string;
  userId?: string;
} {
  const principal = request.principal;
  if (!principal) return {};
  return principal.user
    ? { organizationId: principal.organizationId, userId: principal.user.id }
    : { organizationId: principal.organizationId, apiKeyId: principal.apiKeyId };
}

/** Who a request acts as for the activity log of the pipeline and file lifecycle (ingest's Actor). */
export function actorOf(request: FastifyRequest): {
  name: string;
  apiKeyId?: string;
  userId?: string;
  clientAddress: string;
} {
  const principal = principalOf(request);
  return principal.user
    ? { name: `user:${principal.user.id}`, userId: principal.user.id, clientAddress: request.ip }
    : { name: 'api', apiKeyId: principal.apiKeyId, clientAddress: request.ip };
}

/** A signed-in member's access for src/people (FORBIDDEN for an API key: people are managed by people). */
export function memberAccess(request: FastifyRequest): Extract<PeopleAccess, { kind: 'member' }> {
  const principal = principalOf(request);
  if (!principal.user)
    throw new IngestError('FORBIDDEN', 'this endpoint is for signed-in users; an API key cannot use it', {});
  return {
    kind: 'member',
    member: { userId: principal.user.id, role: principal.user.role },
    clientAddress: request.ip,
  };
}
