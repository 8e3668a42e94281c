import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { IngestError } from './errors.js';
import { type ContentLimits, GiB, LIMITS, metricRowsFor, PEOPLE_LIMITS } from './limits.js';
import { isBucketName, sameBucket } from './s3-bucket-name.js';
import { parseByteSize, parseDuration } from './units.js';

/** Where originals go when a bucket is configured. */
export interface S3Config {
  bucket: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/**
 * How `ingest serve` admits upload bodies. Counted per process: several servers each enforce their own.
 */
export interface UploadAdmissionConfig {
  /** Uploads in flight per organization (INGEST_MAX_UPLOADS_PER_ORG); more get 429 TOO_MANY_UPLOADS. */
  maxUploadsPerOrg: number;
  /** Uploads in flight per API key (INGEST_MAX_UPLOADS_PER_KEY). */
  maxUploadsPerKey: number;
  /** Spool bytes an organization's uploads in flight may hold (INGEST_SPOOL_BYTES_PER_ORG). */
  spoolBytesPerOrg: number;
  /** A body idle this long is refused with UPLOAD_TOO_SLOW (INGEST_BODY_IDLE_TIMEOUT), in ms. */
  bodyIdleTimeoutMs: number;
  /** Bytes/s a body must average over each idle-timeout window (INGEST_MIN_UPLOAD_RATE); 0: no minimum. */
  minUploadBytesPerSecond: number;
}

/** The environment, read and validated once at start. */
export interface Config {
  /** PostgreSQL to use; unset means the embedded server under `home`. */
  databaseUrl?: string;
  /** INGEST_HOME: embedded database, local objects and spool files. */
  home: string;
  objectsDir: string;
  spoolDir: string;
  s3?: S3Config;
  /** Largest upload accepted, in bytes (INGEST_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /**
   * Buckets `POST /v1/files/import` may read from (INGEST_S3_IMPORT_BUCKETS, comma-separated), each in
   * its canonical spelling and never the store's own bucket. Empty: the endpoint is off. An organization
   * imports only keys under `<its slug>/` of these buckets. The CLI reads any bucket its credentials can;
   * the API is shared by every tenant.
   */
  importBuckets: string[];
  /** Bytes of answers `ingest serve` keeps in memory for the read endpoints (INGEST_READ_CACHE_SIZE). */
  readCacheBytes?: number;
  /**
   * Failed authentications per minute (and in a burst) from one client address before `ingest serve`
   * answers 429 TOO_MANY_AUTH_FAILURES (INGEST_AUTH_FAILURES_PER_MINUTE); 0 turns the throttle off.
   */
  authFailuresPerMinute: number;
  /**
   * What one file's content may cost: columns (INGEST_MAX_COLUMNS), header bytes (INGEST_MAX_HEADER_BYTES), metric rows (INGEST_MAX_METRIC_ROWS),
   * inflated gzip bytes (INGEST_MAX_INFLATED_BYTES, INGEST_MAX_INFLATION_RATIO past INGEST_INFLATION_RATIO_FLOOR).
   */
  contentLimits: ContentLimits;
  uploadAdmission: UploadAdmissionConfig;
  /** How often `ingest serve` recovers what dead processes left (INGEST_RECOVERY_INTERVAL), in ms. */
  recoveryIntervalMs: number;
  /** Where `ingest serve` answers GET /metrics; nowhere unless a port or a token is set. */
  metrics: MetricsConfig;
  /** Statements slower than this are recorded for logs.slow_queries (INGEST_SLOW_STATEMENT), in ms; 0: off. */
  slowStatementMs: number;
  /** Folder of pg_dump and pg_restore for `ingest backup` (INGEST_PG_BIN); unset: the usual places. */
  pgBinDir?: string;
  /** A job worker's heartbeat deadline (INGEST_JOB_HEARTBEAT), in ms. */
  jobHeartbeatMs: number;
  /** Uploads above this many bytes run as jobs (INGEST_ASYNC_THRESHOLD). */
  asyncThresholdBytes: number;
  /** Sign-in through the identity provider (INGEST_AUTH_*); absent: only API keys authenticate. */
  auth?: AuthConfig;
  /** Bounds on members, invitations, clients and keys (INGEST_MAX_MEMBERS and the rest). */
  peopleLimits: PeopleLimits;
}

/** Where sign-in tokens come from and what they must say. */
export interface AuthConfig {
  /** INGEST_AUTH_ISSUER: the `iss` every token must carry. */
  issuer: string;
  /** INGEST_AUTH_AUDIENCE: the `aud` every token must carry (unset: any audience). */
  audience?: string;
  /** INGEST_AUTH_JWKS_URL: the provider's signing keys (default: the issuer's /.well-known/jwks.json). */
  jwksUrl: string;
  /** INGEST_AUTH_CLOCK_TOLERANCE: seconds of clock difference allowed on exp and nbf. */
  clockToleranceSeconds: number;
}

/** See PEOPLE_LIMITS in src/limits.ts. */
export interface PeopleLimits {
  maxMembers: number;
  maxInvitations: number;
  maxClients: number;
  maxApiKeys: number;
}

/** The people limits when nothing is configured. */
export function defaultPeopleLimits(): PeopleLimits {
  return {
    maxMembers: PEOPLE_LIMITS.maxMembers.default,
    maxInvitations: PEOPLE_LIMITS.maxInvitations.default,
    maxClients: PEOPLE_LIMITS.maxClients.default,
    maxApiKeys: PEOPLE_LIMITS.maxApiKeys.default,
  };
}

/** GET /metrics: a listener of its own, or the API's port behind a bearer token (or both). */
export interface MetricsConfig {
  /** Port of the metrics listener (INGEST_METRICS_PORT); unset: no listener. */
  port?: number;
  /** Address of the metrics listener (INGEST_METRICS_HOST, default 127.0.0.1: this machine only). */
  host: string;
  /** Bearer token that opens GET /metrics on the API port (INGEST_METRICS_TOKEN, 16+ characters). */
  token?: string;
}

/** Shortest metrics token accepted: a guessable one would make the API's /metrics public in effect. */
const MIN_METRICS_TOKEN_LENGTH = 16;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = resolve(env.INGEST_HOME || join(homedir(), '.ingest'));
  const maxUpload = env.INGEST_MAX_UPLOAD_BYTES
    ? parseEnvSize('INGEST_MAX_UPLOAD_BYTES', env.INGEST_MAX_UPLOAD_BYTES)
    : 10 * GiB;
  const config: Config = {
    home,
    objectsDir: join(home, 'objects'),
    spoolDir: join(home, 'spool'),
    maxUploadBytes: maxUpload,
    importBuckets: (env.INGEST_S3_IMPORT_BUCKETS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    authFailuresPerMinute: envInteger(env, 'INGEST_AUTH_FAILURES_PER_MINUTE', LIMITS.authFailuresPerMinute),
    contentLimits: loadContentLimits(env),
    uploadAdmission: {
      maxUploadsPerOrg: envInteger(env, 'INGEST_MAX_UPLOADS_PER_ORG', LIMITS.maxUploadsPerOrg),
      maxUploadsPerKey: envInteger(env, 'INGEST_MAX_UPLOADS_PER_KEY', LIMITS.maxUploadsPerKey),
      spoolBytesPerOrg: env.INGEST_SPOOL_BYTES_PER_ORG
        ? parseEnvSize('INGEST_SPOOL_BYTES_PER_ORG', env.INGEST_SPOOL_BYTES_PER_ORG)
        : defaultUploadAdmission(maxUpload).spoolBytesPerOrg,
      bodyIdleTimeoutMs: envDuration(env, 'INGEST_BODY_IDLE_TIMEOUT', LIMITS.bodyIdleTimeoutMs),
      minUploadBytesPerSecond: envRate(env, 'INGEST_MIN_UPLOAD_RATE', LIMITS.minUploadBytesPerSecond),
    },
    recoveryIntervalMs: envDuration(env, 'INGEST_RECOVERY_INTERVAL', LIMITS.recoveryIntervalMs),
    metrics: loadMetricsConfig(env),
    slowStatementMs: envDuration(env, 'INGEST_SLOW_STATEMENT', LIMITS.slowStatementMs),
    jobHeartbeatMs: envDuration(env, 'INGEST_JOB_HEARTBEAT', LIMITS.jobHeartbeatMs),
    asyncThresholdBytes: env.INGEST_ASYNC_THRESHOLD
      ? parseEnvSize('INGEST_ASYNC_THRESHOLD', env.INGEST_ASYNC_THRESHOLD)
      : LIMITS.asyncThresholdBytes.default,
    peopleLimits: {
      maxMembers: envInteger(env, 'INGEST_MAX_MEMBERS', PEOPLE_LIMITS.maxMembers),
      maxInvitations: envInteger(env, 'INGEST_MAX_INVITATIONS', PEOPLE_LIMITS.maxInvitations),
      maxClients: envInteger(env, 'INGEST_MAX_CLIENTS', PEOPLE_LIMITS.maxClients),
      maxApiKeys: envInteger(env, 'INGEST_MAX_API_KEYS', PEOPLE_LIMITS.maxApiKeys),
    },
  };
  const auth = loadAuthConfig(env);
  if (auth) config.auth = auth;
  for (const bucket of config.importBuckets) {
    if (!isBucketName(bucket)) {
      throw new IngestError(
        'INVALID_OPTION',
        `INGEST_S3_IMPORT_BUCKETS must list S3 bucket names (3-63 lowercase letters, digits, '.' or '-'), got ${JSON.stringify(bucket)}`,
        { option: 'INGEST_S3_IMPORT_BUCKETS' },
      );
    }
    if (env.INGEST_S3_BUCKET && sameBucket(bucket, env.INGEST_S3_BUCKET)) {
      throw new IngestError(
        'INVALID_OPTION',
        `INGEST_S3_IMPORT_BUCKETS must not list the store's bucket ${bucket} (INGEST_S3_BUCKET): it holds every organization's originals`,
        { option: 'INGEST_S3_IMPORT_BUCKETS' },
      );
    }
  }
  if (env.DATABASE_URL) config.databaseUrl = env.DATABASE_URL;
  if (env.INGEST_PG_BIN) config.pgBinDir = resolve(env.INGEST_PG_BIN);
  if (env.INGEST_READ_CACHE_SIZE)
    config.readCacheBytes = parseEnvSize('INGEST_READ_CACHE_SIZE', env.INGEST_READ_CACHE_SIZE);
  if (env.INGEST_S3_BUCKET) {
    config.s3 = {
      bucket: env.INGEST_S3_BUCKET,
      region: env.INGEST_S3_REGION || env.AWS_REGION || 'us-east-1',
      forcePathStyle: ['1', 'true', 'yes'].includes((env.INGEST_S3_FORCE_PATH_STYLE ?? '').toLowerCase()),
    };
    if (env.INGEST_S3_ENDPOINT) config.s3.endpoint = env.INGEST_S3_ENDPOINT;
  }
  return config;
}

function loadMetricsConfig(env: NodeJS.ProcessEnv): MetricsConfig {
  const metrics: MetricsConfig = { host: env.INGEST_METRICS_HOST?.trim() || '127.0.0.1' };
  if (env.INGEST_METRICS_PORT?.trim())
    metrics.port = parseEnvInteger('INGEST_METRICS_PORT', env.INGEST_METRICS_PORT, { min: 1, max: 65_535 });
  const token = env.INGEST_METRICS_TOKEN;
  if (token !== undefined && token !== '') {
    if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
      throw new IngestError(
        'INVALID_OPTION',
        `INGEST_METRICS_TOKEN must be at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32), got ${token.length} characters`,
        { option: 'INGEST_METRICS_TOKEN' },
      );
    }
    metrics.token = token;
  }
  return metrics;
}

/** INGEST_AUTH_*: absent unless INGEST_AUTH_ISSUER is set; the URLs must be http(s). */
function loadAuthConfig(env: NodeJS.ProcessEnv): AuthConfig | undefined {
  const issuer = env.INGEST_AUTH_ISSUER?.trim();
  if (!issuer) {
    if (env.INGEST_AUTH_JWKS_URL || env.INGEST_AUTH_AUDIENCE) {
      throw new IngestError(
        'INVALID_OPTION',
        'INGEST_AUTH_JWKS_URL and INGEST_AUTH_AUDIENCE need INGEST_AUTH_ISSUER',
        {
          option: 'INGEST_AUTH_ISSUER',
        },
      );
    }
    return undefined;
  }
  const jwksUrl = env.INGEST_AUTH_JWKS_URL?.trim() || `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  for (const [name, value] of [
    ['INGEST_AUTH_ISSUER', issuer],
    ['INGEST_AUTH_JWKS_URL', jwksUrl],
  ] as const) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
      throw new IngestError(
        'INVALID_OPTION',
        `${name} must be an http(s) URL, got ${JSON.stringify(value)}`,
        {
          option: name,
        },
      );
    }
  }
  const audience = env.INGEST_AUTH_AUDIENCE?.trim();
  return {
    issuer,
    ...(audience && { audience }),
    jwksUrl,
    clockToleranceSeconds: envInteger(
      env,
      'INGEST_AUTH_CLOCK_TOLERANCE',
      PEOPLE_LIMITS.authClockToleranceSeconds,
    ),
  };
}

function loadContentLimits(env: NodeJS.ProcessEnv): ContentLimits {
  const integer = (name: string, bounds: { default: number; min: number; max: number }): number =>
    envInteger(env, name, bounds);
  const size = (name: string, bounds: { default: number; min: number; max: number }): number =>
    env[name] ? checkBounds(name, parseEnvSize(name, env[name]), bounds) : bounds.default;
  const maxColumns = integer('INGEST_MAX_COLUMNS', LIMITS.maxColumns);
  // Derived from the column cap, so raising that alone does not refuse the wider files it lets in.
  const metricRows = metricRowsFor(maxColumns);
  return {
    maxColumns,
    maxHeaderBytes: size('INGEST_MAX_HEADER_BYTES', LIMITS.maxHeaderBytes),
    maxMetricRows: integer('INGEST_MAX_METRIC_ROWS', {
      default: metricRows,
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    }),
    maxInflatedBytes: size('INGEST_MAX_INFLATED_BYTES', LIMITS.maxInflatedBytes),
    maxInflationRatio: integer('INGEST_MAX_INFLATION_RATIO', LIMITS.maxInflationRatio),
    inflationRatioFloorBytes: size('INGEST_INFLATION_RATIO_FLOOR', LIMITS.inflationRatioFloorBytes),
  };
}

/** An integer variable within `bounds`, or its default when unset or blank. */
function envInteger(
  env: NodeJS.ProcessEnv,
  name: string,
  bounds: { default: number; min: number; max: number },
): number {
  const value = env[name];
  return value === undefined || value.trim() === '' ? bounds.default : parseEnvInteger(name, value, bounds);
}

function parseEnvInteger(name: string, value: string, bounds: { min: number; max: number }): number {
  const n = /^\s*\d+\s*$/.test(value.replaceAll('_', '')) ? Number(value.replaceAll('_', '')) : Number.NaN;
  return checkBounds(name, n, bounds, JSON.stringify(value));
}

function checkBounds(
  name: string,
  value: number,
  bounds: { min: number; max: number },
  shown: string = String(value),
): number {
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be an integer between ${bounds.min} and ${bounds.max}, got ${shown}`,
      { option: name },
    );
  }
  return value;
}

function parseEnvSize(name: string, value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be a size like 500MB, got ${JSON.stringify(value)}`,
      { option: name },
      { cause: err },
    );
  }
}

/**
 * Upload admission without any INGEST_* override. The spool budget defaults to twice the largest upload:
 * two uploads of that size fit side by side (and one over it is refused as UPLOAD_TOO_LARGE before the
 * budget), and an organization's uploads in flight hold no more spool than that on one server.
 */
export function defaultUploadAdmission(maxUploadBytes: number): UploadAdmissionConfig {
  return {
    maxUploadsPerOrg: LIMITS.maxUploadsPerOrg.default,
    maxUploadsPerKey: LIMITS.maxUploadsPerKey.default,
    spoolBytesPerOrg: 2 * maxUploadBytes,
    bodyIdleTimeoutMs: LIMITS.bodyIdleTimeoutMs.default,
    minUploadBytesPerSecond: LIMITS.minUploadBytesPerSecond.default,
  };
}

type Bounds = { readonly default: number; readonly min: number; readonly max: number };

/** A duration like `30s`, `500ms` or `2m` (a bare number is seconds), within the bounds (in ms). */
function envDuration(env: NodeJS.ProcessEnv, name: string, bounds: Bounds): number {
  const text = env[name];
  if (!text) return bounds.default;
  let ms: number | undefined;
  try {
    ms = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  } catch {
    ms = undefined;
  }
  if (ms === undefined || ms < bounds.min || ms > bounds.max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be a duration between ${bounds.min} ms and ${bounds.max / 1000} s like 30s or 500ms, got ${JSON.stringify(text)}`,
      { option: name },
    );
  }
  return ms;
}

/** Bytes per second, written as a size (`1KB`, or `1KB/s`), within the bounds. */
function envRate(env: NodeJS.ProcessEnv, name: string, bounds: Bounds): number {
  const text = env[name];
  if (!text) return bounds.default;
  const rate = parseEnvSize(name, text.replace(/\/s\s*$/i, ''));
  if (rate < bounds.min || rate > bounds.max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be between ${bounds.min} and ${bounds.max} bytes per second, got ${JSON.stringify(text)}`,
      { option: name },
    );
  }
  return rate;
}

export { LIMITS };
