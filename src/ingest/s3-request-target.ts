import type { GetObjectCommand } from '@aws-sdk/client-s3';
import { IngestError } from '../errors.js';
import type { S3Location } from './s3-source.js';

/** The part of the SDK's HTTP request this check reads. */
interface RequestTarget {
  hostname?: string;
  path?: string;
}

/**
 * Makes `command` refuse to go out unless the HTTP request the SDK built names exactly `location`:
 * path-style `/<bucket>/<key>` (after any base path of the endpoint) or virtual-hosted `<bucket>.<host>`
 * with `/<key>`, and no path segment that a server would resolve (`.`, `..`, empty). Runs after the SDK
 * has serialized the request and before it is signed: what was allowed is what is requested, whatever
 * the SDK's encoding does. INVALID_IMPORT_URL when they differ; nothing is sent then.
 */
export function pinRequestTarget(command: GetObjectCommand, location: S3Location): void {
  command.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as RequestTarget;
      if (!targets(request, location)) {
        throw new IngestError(
          'INVALID_IMPORT_URL',
          `the request for s3://${location.bucket}/${location.key} would go to ${request.hostname ?? '?'}${request.path ?? '?'}`,
          { option: 'url' },
        );
      }
      return next(args);
    },
    { step: 'build', name: 'ingestPinRequestTarget' },
  );
}

function targets(request: RequestTarget, { bucket, key }: S3Location): boolean {
  if (typeof request.path !== 'string' || typeof request.hostname !== 'string') return false;
  const raw = request.path.split('/').slice(1);
  let segments: string[];
  try {
    segments = raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return false;
  }
  if ([...raw, ...segments].some((s) => s === '' || s === '.' || s === '..')) return false;
  const keySegments = key.split('/');
  const tail = segments.slice(-keySegments.length);
  if (tail.length !== keySegments.length || tail.some((s, i) => s !== keySegments[i])) return false;
  const before = segments.at(-keySegments.length - 1);
  return before === bucket || (before === undefined && request.hostname.startsWith(`${bucket}.`));
}
