import { recordReadCacheLookup } from '../telemetry/index.js';
import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';

/** Default bound of the serialized answers kept (INGEST_READ_CACHE_SIZE). */
export const DEFAULT_READ_CACHE_BYTES = 256 * 1024 * 1024;

/** Heap an entry takes besides its body and key: the entry object, Map and Set slots, the Buffer object. */
const ENTRY_OVERHEAD_BYTES = 320;

/** Organizations whose last change is remembered exactly; older ones count as changed just now. */
const REMEMBERED_ORGANIZATIONS = 100_000;

/** Taken before reading the database for an answer, and handed back to `set` with the answer. */
export interface ReadToken {
  readonly epoch: number;
  readonly sequence: number;
}

interface Entry {
  organizationId: string;
  /** The file the answer depends on; null when it depends on every file of the organization (a listing). */
  fileId: string | null;
  body: Buffer;
  /** Served since it was kept or last came round for eviction. */
  used: boolean;
  /** Bytes charged against the bound: the body, the key (UTF-16) and the bookkeeping around them. */
  cost: number;
}

/**
 * Serialized JSON answers of the read endpoints (a ready file's metrics, a page of the listing), kept
 * in memory and bounded in bytes (the oldest unused since it was last passed over goes first).
 *
 * Correct only because the change feed tells it of every committed change to storage_meta.files:
 * - a file's change drops its own answers and every listing of its organization;
 * - nothing is kept, or served, while the feed is not live (going down, it also resets: all dropped);
 * - an answer read from the database is kept only if neither its organization changed nor the feed
 *   went down since the read began (`begin` hands out a token). A change that committed while the read
 *   ran, but whose notification comes after the answer was kept, drops that answer on arrival.
 *
 * So a cached answer is at most one notification delivery (milliseconds) older than the database. An
 * answer is keyed by organization: it was read under that organization's row-level security, and no
 * other organization's request can reach it. The protocol this relies on is described at the top of
 * change-feed.ts.
 */
export class ReadCache implements ChangeSubscriber {
  private readonly entries = new Map<string, Entry>();
  private readonly keysByOrganization = new Map<string, Set<string>>();
  private readonly lastChange = new Map<string, number>();
  private forgottenUpTo = 0;
  private sequence = 0;
  private bytes = 0;

  constructor(
    private readonly feed: ChangeFeedState,
    private readonly maxBytes = DEFAULT_READ_CACHE_BYTES,
  ) {}

  /**
   * The JSON of what `read` returns, from the cache when it holds `key`; otherwise read (from the
   * database, as `organizationId`) and kept if it may be. Null, never kept, when `read` finds nothing.
   */
  async answer(
    key: string,
    organizationId: string,
    fileId: string | null,
    read: () => Promise<unknown>,
  ): Promise<Buffer | null> {
    const hit = this.get(key);
    recordReadCacheLookup(hit !== undefined);
    if (hit) return hit;
    const token = this.begin();
    const value = await read();
    if (value === null || value === undefined) return null;
    const json = JSON.stringify(value);
    if (!token) return Buffer.from(json);
    // Memory of its own: a small Buffer.from() is a slice of a shared 8 KiB slab, which one kept answer
    // would hold whole.
    const body = Buffer.allocUnsafeSlow(Buffer.byteLength(json));
    body.write(json);
    this.set(token, key, organizationId, fileId, body);
    return body;
  }

  /** Null when nothing may be kept now (feed not live, or the cache is off): read and answer uncached. */
  begin(): ReadToken | null {
    if (!this.feed.live || this.maxBytes === 0) return null;
    return { epoch: this.feed.epoch, sequence: this.sequence };
  }

  get(key: string): Buffer | undefined {
    if (!this.feed.live) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.used = true;
    return entry.body;
  }

  /** Keeps `body` under `key` unless the organization changed or the feed went down since `token`. */
  set(token: ReadToken, key: string, organizationId: string, fileId: string | null, body: Buffer): void {
    if (!this.feed.live || this.feed.epoch !== token.epoch) return;
    if ((this.lastChange.get(organizationId) ?? this.forgottenUpTo) > token.sequence) return;
    const cost = body.length + 2 * key.length + ENTRY_OVERHEAD_BYTES;
    if (cost > this.maxBytes / 8) return;
    this.remove(key);
    this.entries.set(key, { organizationId, fileId, body, used: false, cost });
    this.bytes += cost;
    const keys = this.keysByOrganization.get(organizationId) ?? new Set<string>();
    this.keysByOrganization.set(organizationId, keys);
    keys.add(key);
    // Second chance: the oldest entry goes unless it was used since it last came round, in which case
    // it moves to the back (cheaper than moving every entry on every hit, and nearly as good).
    while (this.bytes > this.maxBytes) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [oldestKey, entry] = oldest.value;
      if (entry.used) {
        entry.used = false;
        this.entries.delete(oldestKey);
        this.entries.set(oldestKey, entry);
      } else this.remove(oldestKey);
    }
  }

  change(change: Change): void {
    if (change.kind !== 'file') return;
    const org = change.organizationId;
    this.sequence++;
    this.lastChange.delete(org);
    this.lastChange.set(org, this.sequence);
    if (this.lastChange.size > REMEMBERED_ORGANIZATIONS) {
      const [oldest, at] = this.lastChange.entries().next().value as [string, number];
      this.lastChange.delete(oldest);
      this.forgottenUpTo = at;
    }
    const keys = this.keysByOrganization.get(org);
    if (!keys) return;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry && (entry.fileId === null || entry.fileId === change.id)) this.remove(key);
    }
  }

  reset(): void {
    this.entries.clear();
    this.keysByOrganization.clear();
    this.bytes = 0;
  }

  /** Bytes charged for the answers kept (bodies, keys and bookkeeping). */
  get size(): number {
    return this.bytes;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.cost;
    const keys = this.keysByOrganization.get(entry.organizationId);
    keys?.delete(key);
    if (keys?.size === 0) this.keysByOrganization.delete(entry.organizationId);
  }
}
