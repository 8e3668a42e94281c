import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { IngestError } from './errors.js';
import { GiB, LIMITS } from './limits.js';
import { isBucketName, sameBucket } from './s3-bucket-name.js';
import { parseByteSize } from './units.js';

/** Where originals go when a bucket is configured. */
export interface S3Config {
  bucket: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
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
    authFailuresPerMinute: parseEnvInteger(
      'INGEST_AUTH_FAILURES_PER_MINUTE',
      env.INGEST_AUTH_FAILURES_PER_MINUTE,
      LIMITS.authFailuresPerMinute,
    ),
  };
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

/** An integer variable within `bounds`, or its default when unset or empty. */
function parseEnvInteger(
  name: string,
  value: string | undefined,
  bounds: { default: number; min: number; max: number },
): number {
  if (value === undefined || value.trim() === '') return bounds.default;
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be an integer between ${bounds.min} and ${bounds.max}, got ${JSON.stringify(value)}`,
      { option: name },
    );
  }
  return n;
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

export { LIMITS };
