/**
 * S3 bucket names as S3 defines them for buckets created since 2018 (docs: "General purpose bucket naming
 * rules"): 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a
 * letter or digit, no two dots in a row, not shaped like an IPv4 address. A name that passes has one
 * spelling only: no case, percent-encoding, trailing dot or slash that a client, proxy or server could
 * fold into another bucket.
 */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** True when `name` is a bucket name in its one canonical spelling. */
export function isBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes('..') && !IPV4.test(name);
}

/**
 * True when `a` and `b` may reach the same bucket on some S3 server: compared without case and without
 * trailing dots (a DNS name with a trailing dot is the same host), as lenient servers and legacy
 * buckets (uppercase names in us-east-1) would treat them.
 */
export function sameBucket(a: string, b: string): boolean {
  const fold = (name: string) => name.toLowerCase().replace(/\.+$/, '');
  return fold(a) === fold(b);
}
