import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `ik_<prefix>_<secret>`: `ik_` says what the string is (secret scanners match it),
 * the 12 hex characters of the prefix find the key (unique, shown in listings, not secret), and the
 * secret is 32 random bytes in base64url (256 bits). Only SHA-256 of the secret is stored: a fast hash
 * suffices for a random 256-bit secret, which no dictionary can guess.
 */
const KEY_FORMAT = /^ik_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

const PREFIX_BYTES = 6;
const SECRET_BYTES = 32;

export interface GeneratedApiKey {
  /** The whole key, shown once to whoever created it. */
  key: string;
  prefix: string;
  secretSha256: Buffer;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(PREFIX_BYTES).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { key: `ik_${prefix}_${secret}`, prefix, secretSha256: hashSecret(secret) };
}

/** The prefix and secret of a well-formed key, or null. */
export function parseApiKey(text: string): { prefix: string; secret: string } | null {
  const match = KEY_FORMAT.exec(text);
  return match ? { prefix: match[1]!, secret: match[2]! } : null;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Constant-time comparison of a presented secret with a stored hash (both hashes are 32 bytes). */
export function secretMatches(secret: string, storedSha256: Buffer): boolean {
  const presented = hashSecret(secret);
  return presented.length === storedSha256.length && timingSafeEqual(presented, storedSha256);
}
