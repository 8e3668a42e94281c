import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../config.js';

/**
 * An S3 client for the configured bucket's endpoint. Credentials come from the SDK's default provider
 * chain (environment, shared config and credentials files, SSO, web identity, container and instance
 * metadata), so nothing secret passes through ingest's own configuration.
 */
export function createS3Client(config: S3Config): S3Client {
  // The SDK prints a notice on Node 20 about the Node versions its future releases will require. The
  // installed release supports Node 20 (package.json "engines"); the notice would only clutter every
  // CLI command's stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint !== undefined && { endpoint: config.endpoint }),
  });
}
