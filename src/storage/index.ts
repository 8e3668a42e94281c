export { createObjectStore } from './create-object-store.js';
export {
  archiveObjectKey,
  type ObjectInfo,
  type ObjectStore,
  organizationPrefix,
  originalObjectKey,
} from './object-store.js';
export { createS3Client } from './s3-client.js';
export { isS3NotFound, s3StorageError } from './s3-errors.js';
export { S3ObjectStore } from './s3-object-store.js';
