import type { Readable } from 'node:stream';

/** What a stored object looks like from outside. */
export interface ObjectInfo {
  size: number;
  /** SHA-256 (hex) of the bytes stored, when the store computed it on the way in (put). */
  sha256?: string;
}

/**
 * The narrow surface the pipeline needs from object storage. Keys look like
 * `orgs/<organization_id>/sha256/<hex>`. Implementations: a local folder (the default) and S3.
 */
export interface ObjectStore {
  /** A human-readable location for logs and errors ("file:///...", "s3://bucket"). */
  readonly description: string;
  /**
   * Stores the stream under `key` and resolves once the object is durable. When `sha256` is given the
   * store verifies the bytes it kept hash to it and fails with CHECKSUM_MISMATCH otherwise.
   * A failed put leaves nothing under `key`. Resolves with the size and SHA-256 of what was stored.
   */
  put(key: string, body: Readable, options?: { size?: number; sha256?: string }): Promise<ObjectInfo>;
  /** Streams the object; SOURCE_NOT_FOUND when absent. */
  get(key: string): Promise<Readable>;
  /** The object's size, or null when absent. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Removes the object; absent is not an error. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Aborts unfinished uploads under `prefix` whose key `isAbandoned` confirms nobody is writing any more
   * (an upload cut off by a crash or an unreachable store). Returns how many were aborted, or null when
   * the store does not implement listing or aborting them (a plain s3rver, some S3-compatible stores):
   * the sweep is optional work, and callers say it was skipped instead of failing. Stores without
   * multipart uploads have nothing to abort and may omit it.
   */
  abortIncompleteUploads?(
    prefix: string,
    isAbandoned: (key: string) => Promise<boolean>,
  ): Promise<number | null>;
}

/** The key of an upload's original bytes. Scoped by organization: dedup never crosses tenants. */
export function originalObjectKey(organizationId: string, sha256: string): string {
  return `orgs/${organizationId}/sha256/${sha256}`;
}

/** The key of an archived file's chunk payloads (see ingest/archive-format.ts). */
export function archiveObjectKey(organizationId: string, fileId: string): string {
  return `orgs/${organizationId}/archive/${fileId}`;
}

/** Every object of an organization lives under this prefix. */
export function organizationPrefix(organizationId: string): string {
  return `orgs/${organizationId}/`;
}
