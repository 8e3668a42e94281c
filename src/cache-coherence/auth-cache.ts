import type { Change, ChangeSubscriber } from './change-subscriber.js';

/** What the cache needs of a verified key's principal (the server's Principal, kept as it is). */
export interface CachedKey {
  apiKeyId: string;
}

/** How long a verified key is trusted without looking it up again, in milliseconds. */
export const AUTH_CACHE_TTL_MS = 10_000;
/** Keys remembered at most; past it the oldest entry goes. Bounds memory whatever keys clients send. */
export const AUTH_CACHE_MAX_KEYS = 10_000;

interface Entry<P> {
  secretSha256: Buffer;
  principal: P;
  expiresAt: number;
}

/**
 * Keys that authenticated recently, by prefix, with the stored hash of their secret: a request whose
 * secret matches skips the look-up round trips. Sound because nothing about a key changes after it is
 * created except its revocation, and revocation reaches every server: as a change notification that
 * drops the entry (while the change feed is live), or else through the rate limiter, which then counts
 * every request in PostgreSQL and finds no unrevoked key (UNAUTHORIZED). Only keys whose secret
 * matched are stored; a wrong secret misses the cache and is refused by the database path, as before.
 * A key read while a key change was being delivered is not kept (`begin`/`set`). The protocol this
 * relies on is described at the top of change-feed.ts.
 */
export class AuthCache<P extends CachedKey = CachedKey> implements ChangeSubscriber {
  private readonly entries = new Map<string, Entry<P>>();
  /** Key changes heard of so far. */
  private changes = 0;

  constructor(
    private readonly ttlMs = AUTH_CACHE_TTL_MS,
    private readonly maxKeys = AUTH_CACHE_MAX_KEYS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached entry for `prefix` if it has not expired. The caller still compares the secret. */
  get(prefix: string): { secretSha256: Buffer; principal: P } | undefined {
    const entry = this.entries.get(prefix);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(prefix);
      return undefined;
    }
    return entry;
  }

  /** Taken before looking a key up, and handed to `set` with what was found. */
  begin(): number {
    return this.changes;
  }

  /** Keeps a verified key, unless a key changed since `token` (what was read may be outdated). */
  set(prefix: string, secretSha256: Buffer, principal: P, token: number): void {
    if (token !== this.changes) return;
    this.entries.delete(prefix);
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(prefix, { secretSha256, principal, expiresAt: this.now() + this.ttlMs });
  }

  change(change: Change): void {
    if (change.kind !== 'apiKey') return;
    this.changes++;
    for (const [prefix, entry] of this.entries) {
      if (entry.principal.apiKeyId === change.id) this.entries.delete(prefix);
    }
  }

  reset(): void {
    this.changes++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
