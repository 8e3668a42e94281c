import { isIPv6 } from 'node:net';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';

interface Bucket {
  /** Failures the address may still make, fractional while refilling. */
  tokens: number;
  /** now() when `tokens` was last brought up to date. */
  at: number;
}

/**
 * Failed authentications per client address, as a token bucket: `perMinute` failures in a burst,
 * refilled at `perMinute` a minute. Every key look-up takes a token before it starts (so a thousand
 * concurrent guesses cannot all pass before the first fails) and a key that verifies gives it back;
 * with none left, the address's keys are not looked up (TOO_MANY_AUTH_FAILURES, with Retry-After).
 * A key this server verified recently (AuthCache) is never looked up, so it keeps working from an
 * address being throttled; any other key from it waits, as a guess would.
 *
 * The address is the connection's peer (Fastify's request.ip; ingest does not set trustProxy): behind
 * a reverse proxy every client shares the proxy's address and its budget. IPv6 addresses count per /64,
 * the block one host is usually given. Memory is bounded: at most LIMITS.authFailureAddresses
 * addresses are remembered, the least recently failing forgotten first (as if it had not failed), and
 * an address whose bucket refills is forgotten too.
 */
export class AuthFailureThrottle {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly maxAddresses: number = LIMITS.authFailureAddresses,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one failure's worth from `address` before a look-up; TOO_MANY_AUTH_FAILURES if none is left. */
  acquire(address: string): void {
    if (this.perMinute === 0) return;
    const key = addressKey(address);
    const bucket = this.refilled(key);
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
      throw new IngestError(
        'TOO_MANY_AUTH_FAILURES',
        `too many failed authentications from this address (at most ${this.perMinute} a minute); retry in ${seconds} s`,
        { retryAfterSeconds: seconds, limit: this.perMinute },
      );
    }
    bucket.tokens -= 1;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxAddresses) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
  }

  /** The look-up did not fail (the key verified, or the database did): its token comes back. */
  release(address: string): void {
    if (this.perMinute === 0) return;
    const key = addressKey(address);
    if (!this.buckets.has(key)) return;
    const bucket = this.refilled(key);
    bucket.tokens += 1;
    if (bucket.tokens >= this.perMinute) this.buckets.delete(key);
  }

  /** Addresses remembered. */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (!bucket) return { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    return bucket;
  }
}

/** What failures are counted against: an IPv4 address (also when IPv4-mapped), or an IPv6 /64. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined ? first : [...first, ...Array(8 - first.length - last.length).fill('0'), ...last];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The throttle and the address of the request being authenticated. */
export interface AuthFailures {
  throttle: AuthFailureThrottle;
  address: string;
}

/**
 * Runs one credential check (an API key's look-up, a sign-in token's verification) under the throttle:
 * a token is taken before it starts and given back unless the check fails as the client's fault
 * (UNAUTHORIZED). Only the client's failures count against its address, not the database's.
 */
export async function throttledCheck<T>(
  failures: AuthFailures | undefined,
  check: () => Promise<T>,
): Promise<T> {
  failures?.throttle.acquire(failures.address);
  try {
    const result = await check();
    failures?.throttle.release(failures.address);
    return result;
  } catch (err) {
    if (!(err instanceof IngestError && err.code === 'UNAUTHORIZED'))
      failures?.throttle.release(failures.address);
    throw err;
  }
}
