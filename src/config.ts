import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { IngestError } from './errors.js';
import { GiB, LIMITS } from './limits.js';
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
   * Buckets `POST /v1/files/import` may read from (INGEST_S3_IMPORT_BUCKETS, comma-separated). Empty: the
   * endpoint is off. The CLI reads any bucket its credentials can; the API is shared by every tenant.
   */
  importBuckets: string[];
  /** Bytes of answers `ingest serve` keeps in memory for the read endpoints (INGEST_READ_CACHE_SIZE). */
  readCacheBytes?: number;
  uploadAdmission: UploadAdmissionConfig;
  /** How often `ingest serve` recovers what dead processes left (INGEST_RECOVERY_INTERVAL), in ms. */
  recoveryIntervalMs: number;
}

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
  };
  if (env.DATABASE_URL) config.databaseUrl = env.DATABASE_URL;
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

function envInteger(env: NodeJS.ProcessEnv, name: string, bounds: Bounds): number {
  const text = env[name];
  if (!text) return bounds.default;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be an integer between ${bounds.min} and ${bounds.max}, got ${JSON.stringify(text)}`,
      { option: name },
    );
  }
  return n;
}

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
