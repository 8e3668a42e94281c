import { randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  AuthCache,
  type ChangeFeed,
  MembershipCache,
  RateLimiter,
  ReadCache,
  UnknownKeyCache,
} from '../cache-coherence/index.js';
import {
  type AuthConfig,
  defaultPeopleLimits,
  type PeopleLimits,
  type UploadAdmissionConfig,
} from '../config.js';
import { runAsMember } from '../db/index.js';
import type { IngestServices } from '../ingest/index.js';
import { LIMITS } from '../limits.js';
import type { Logger } from '../logger.js';
import { recordHttpError } from '../telemetry/index.js';
import { AuthFailureThrottle } from './auth-failure-throttle.js';
import type { KeyPrincipal, UserPrincipal } from './authenticate.js';
import { type ImportSettings, principalFields, type RouteContext } from './context.js';
import { errorBody, toIngestError } from './error-response.js';
import { InFlightUploads } from './in-flight-uploads.js';
import { metricsRoute } from './metrics-endpoint.js';
import {
  auditRoutes,
  brandingRoutes,
  dashboardRoutes,
  fileRoutes,
  healthRoutes,
  importRoutes,
  jobRoutes,
  keyRoutes,
  memberRoutes,
  meRoutes,
  organizationRoutes,
  rowRoutes,
  type ServerJobs,
  uploadRoutes,
  usageRoutes,
} from './routes/index.js';
import { schemaError } from './schema-error.js';
import { SignInTokens } from './sign-in-tokens.js';
import { discardRest, RAW_CONTENT_TYPES } from './upload-source.js';

export interface AppOptions {
  services: IngestServices;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes: number;
  /** Where `POST /v1/files/import` may read from; without it the endpoint answers 403. */
  imports?: ImportSettings;
  log: Logger;
  /** Committed changes from PostgreSQL; the caches subscribe to it and keep nothing while it is not live. */
  changes: ChangeFeed;
  /** Bytes of serialized answers the read cache keeps (INGEST_READ_CACHE_SIZE); 0 turns it off. */
  readCacheBytes?: number;
  /** Failed authentications per minute from one client address (INGEST_AUTH_FAILURES_PER_MINUTE); 0: off. */
  authFailuresPerMinute?: number;
  /** Caps and timers for upload bodies (see InFlightUploads and watchBody). */
  uploadAdmission: UploadAdmissionConfig;
  /** Bearer token that opens GET /metrics on this app (INGEST_METRICS_TOKEN); unset: no such route. */
  metricsToken?: string;
  /** The job queue (async uploads, GET /v1/jobs/:id); without it uploads run in their request. */
  jobs?: ServerJobs;
  /** Sign-in through the identity provider (INGEST_AUTH_*); without it only API keys authenticate. */
  auth?: AuthConfig;
  /** Bounds on members, invitations, clients and keys (defaults: PEOPLE_LIMITS). */
  peopleLimits?: PeopleLimits;
}

/** The HTTP API on the given services; not listening yet. */
export function buildApp(options: AppOptions): { app: FastifyInstance; uploads: InFlightUploads } {
  const uploads = new InFlightUploads(options.uploadAdmission);
  const app = Fastify({
    loggerInstance: options.log.child({ stage: 'http' }) as FastifyBaseLogger,
    // Uploads stream through a pass-through parser, which body limits do not apply to: the pipeline's
    // byte limit does (413 UPLOAD_TOO_LARGE, or the quota's QUOTA_EXCEEDED).
    bodyLimit: 1024 * 1024,
    // An upload may take long; the pipeline and the grace period at shutdown bound it, not a timer here.
    requestTimeout: 0,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: () => randomUUID(),
    // One access line per request, written in onResponse below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Route schemas (routes/*) validate params, query and body; a failure is a 400 INVALID_OPTION.
    schemaErrorFormatter: schemaError,
    ajv: {
      customOptions: {
        // Scalars only (Fastify's default also turns a list of one into its element: {"url": ["s3://..."]}).
        coerceTypes: true,
        // Errors carry the bad value and the schema it failed, which the message names.
        verbose: true,
        // maxLength counts as String.length does, as the options' limits always have.
        unicode: false,
      },
    },
  });
  const ctx: RouteContext = {
    services: options.services,
    maxUploadBytes: options.maxUploadBytes,
    uploads,
    imports: options.imports ?? { buckets: [] },
    authCache: new AuthCache<KeyPrincipal>(),
    signInTokens: options.auth ? new SignInTokens(options.auth) : undefined,
    memberships: new MembershipCache<UserPrincipal>(options.changes),
    peopleLimits: options.peopleLimits ?? defaultPeopleLimits(),
    unknownKeys: new UnknownKeyCache(options.changes),
    authFailures: new AuthFailureThrottle(
      options.authFailuresPerMinute ?? LIMITS.authFailuresPerMinute.default,
    ),
    rateLimiter: new RateLimiter(options.services.pool, options.changes),
    readCache: new ReadCache(options.changes, options.readCacheBytes),
    ...(options.jobs && { jobs: options.jobs }),
  };
  options.changes.subscribe(ctx.authCache);
  options.changes.subscribe(ctx.unknownKeys);
  options.changes.subscribe(ctx.rateLimiter);
  options.changes.subscribe(ctx.readCache);
  options.changes.subscribe(ctx.memberships);

  app.decorateRequest('principal', null);
  // A signed-in user's handler runs as that member: every tenant transaction it makes, in the pipeline
  // too, carries the user and role to PostgreSQL, whose policies hold it to the role table (see
  // runAsMember). Here, not in the guard: the handler is called from this hook's callback, after the
  // body was read (which would otherwise run outside the member's context).
  app.addHook('preHandler', (request, _reply, done) => {
    const user = request.principal?.user;
    if (user) runAsMember({ userId: user.id, role: user.role }, done);
    else done();
  });
  // Once closing, every response ends its connection: a keep-alive connection that turns idle after
  // close() began would otherwise hold shutdown until its keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        req: { method: request.method, url: request.url, remoteAddress: request.ip },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
        ...principalFields(request),
      },
      'request completed',
    );
    done();
  });
  // The body stays a stream: ingest() reads it, hashing and spooling as it goes.
  app.addContentTypeParser(RAW_CONTENT_TYPES, (_request, payload, done) => done(null, payload));
  app.register(multipart);

  app.setErrorHandler((err, request, reply) => {
    const error = toIngestError(err);
    recordHttpError(error.code, error.status);
    // A schema refuses an upload's query before its handler reads the body: drop the rest, as
    // runUpload does when it refuses one.
    if ((err as { validation?: unknown }).validation !== undefined && !request.raw.complete) {
      reply.header('connection', 'close');
      discardRest(request);
    }
    const who = principalFields(request);
    if (error.status >= 500) request.log.error({ err, code: error.code, ...who }, 'request failed');
    else request.log.info({ code: error.code, line: error.context.line, ...who }, 'request refused');
    const retryAfter = error.context.retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.code(error.status).send(errorBody(error, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    recordHttpError('ROUTE_NOT_FOUND', 404);
    return reply.code(404).send({
      error: {
        code: 'ROUTE_NOT_FOUND',
        message: `no endpoint ${request.method} ${request.url.split('?')[0]}`,
      },
    });
  });
  metricsRoute(app, options.metricsToken);

  app.register(async (instance) => {
    const api = instance.withTypeProvider<TypeBoxTypeProvider>();
    healthRoutes(api, ctx);
    uploadRoutes(api, ctx);
    importRoutes(api, ctx);
    fileRoutes(api, ctx);
    rowRoutes(api, ctx);
    usageRoutes(api, ctx);
    jobRoutes(api, ctx);
    meRoutes(api, ctx);
    memberRoutes(api, ctx);
    organizationRoutes(api, ctx);
    keyRoutes(api, ctx);
    brandingRoutes(api, ctx);
    auditRoutes(api, ctx);
    dashboardRoutes(api, ctx);
  });
  return { app, uploads };
}
