import type { Config } from '../config.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { createS3Client } from './s3-client.js';
import { S3ObjectStore } from './s3-object-store.js';

/** The configured store: S3 when a bucket is set, otherwise the local folder under INGEST_HOME. */
export async function createObjectStore(config: Config): Promise<ObjectStore> {
  if (config.s3) return new S3ObjectStore(createS3Client(config.s3), config.s3.bucket);
  return new LocalObjectStore(config.objectsDir);
}
