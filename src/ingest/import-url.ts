import { IngestError } from '../errors.js';
import { isBucketName, sameBucket } from '../s3-bucket-name.js';
import type { S3Location } from './s3-source.js';

/** S3's limit on a key's length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * What one segment of an imported key may hold: letters, marks and digits of any script, spaces, and
 * `- _ . ! * ' ( ) + , = @ ~`. Left out on purpose, because some client, proxy or server on the way
 * decodes, folds or splits on them: `%` (escapes), `\` (a separator on some servers), `?` and `#`
 * (query and fragment), `;` (path parameters), control characters, and every other punctuation mark
 * (among them the full-width and other look-alikes of `.` and `/` that Unicode normalization folds).
 */
const SEGMENT = /^[\p{L}\p{M}\p{N} !'()*+,\-.=@_~]+$/u;

/** The buckets an organization may import from, and the one bucket no organization ever may. */
export interface ImportPolicy {
  /** Buckets listed by the operator (INGEST_S3_IMPORT_BUCKETS). */
  buckets: readonly string[];
  /** The store's own bucket (INGEST_S3_BUCKET), which holds every organization's originals. */
  storeBucket?: string | undefined;
}

/**
 * Parses an import URL strictly: `s3://<bucket>/<key>` where the bucket is an S3 bucket name in its one
 * canonical spelling and the key is `/`-separated segments that no S3 client, proxy or server resolves
 * into another path: no empty, `.` or `..` segments, no escapes, backslashes or control characters (see
 * SEGMENT), also after Unicode compatibility folding. The bucket and key returned are then exactly what
 * a GetObject request names. INVALID_IMPORT_URL (400) otherwise.
 */
export function parseImportUrl(url: string): S3Location {
  const refuse = (why: string): never => {
    throw new IngestError(
      'INVALID_IMPORT_URL',
      `import URL ${JSON.stringify(url)} is not a plain s3://bucket/key: ${why}`,
      { option: 'url' },
    );
  };
  if (!url.startsWith('s3://')) refuse('it must start with s3://');
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) refuse('it names no key');
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  if (!isBucketName(bucket)) {
    refuse("the bucket must be an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'");
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) refuse(`the key is longer than ${MAX_KEY_BYTES} bytes`);
  for (const form of [key, key.normalize('NFKC')]) {
    for (const segment of form.split('/')) {
      if (segment === '') refuse('the key has an empty segment (a leading, trailing or double slash)');
      if (/^\.+$/.test(segment)) refuse("the key has a '.' or '..' segment");
      if (!SEGMENT.test(segment)) {
        refuse(
          "the key may hold letters, digits, spaces and - _ . ! * ' ( ) + , = @ ~ only " +
            '(no %-escapes, backslashes, ?, #, ; or control characters)',
        );
      }
      if (segment.trim() !== segment) refuse('a key segment starts or ends with a space');
    }
  }
  return { bucket, key };
}

/**
 * Refuses (FORBIDDEN, 403) an import the organization may not make: a bucket the operator did not list,
 * the store's own bucket by any spelling (even if listed), or a key outside `<organization slug>/` of an
 * allowed bucket. The prefix is what keeps one tenant out of another's objects in a shared bucket.
 */
export function authorizeImport(location: S3Location, policy: ImportPolicy, organizationSlug: string): void {
  const { bucket, key } = location;
  const isStore = policy.storeBucket !== undefined && sameBucket(bucket, policy.storeBucket);
  if (isStore || !policy.buckets.includes(bucket)) {
    throw new IngestError(
      'FORBIDDEN',
      `importing from bucket ${bucket} is not allowed on this server (INGEST_S3_IMPORT_BUCKETS)`,
      { option: 'url', organization: organizationSlug },
    );
  }
  const [first, ...rest] = key.split('/');
  if (first !== organizationSlug || rest.length === 0) {
    throw new IngestError(
      'FORBIDDEN',
      `organization ${organizationSlug} may import only objects under s3://${bucket}/${organizationSlug}/`,
      { option: 'url', organization: organizationSlug },
    );
  }
}
