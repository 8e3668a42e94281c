/**
 * The change feed keeps what each server process holds in memory (verified API keys, rate-limit leases,
 * serialized read answers) true to PostgreSQL, which other processes (other servers, the CLI, an
 * operator in psql) change at any time. This is the protocol; each subscriber refers to it.
 *
 * What notifies. Migration 0009's triggers call pg_notify with '<organization id> <row id>' on every
 * insert, update or delete of a storage_meta.files row (channel ingest_file_changes), and on an API
 * key's deletion or a change to its revocation, scopes, limit, secret or prefix, but not to the
 * last_used_at stamp every count writes (ingest_api_key_changes); migration 0011's trigger adds an API
 * key's creation to that channel; migration 0030's triggers notify every change to a membership and every
 * change of an organization's agency or its deletion (ingest_membership_changes). PostgreSQL delivers a notification
 * only when, and only if, its transaction commits, to every connection listening, in commit order.
 *
 * When the feed is live. One dedicated connection LISTENs on both channels and on a probe channel of
 * its own, and is trusted only while it shows that notifications reach it:
 * - connect probe: once listening, a notification sent over another connection (the pool's, `notify`)
 *   must arrive within 5 s (10 s for connecting, listening and probing together). A proxy that accepts
 *   LISTEN but delivers nothing (PgBouncer in transaction mode) never gets past this, so nothing is
 *   cached behind it;
 * - self-probe: then every second the connection notifies itself (one probe in flight at a time);
 * - trust window: the feed is `live` while a probe came back less than 3 s ago. A connection that died
 *   silently stops being trusted within 3 s; nothing is reset yet, and a late probe makes it live again;
 * - lost connection: a probe outstanding for 5 s (or an error, or the connection ending) means the
 *   connection is lost: subscribers are reset and it is made anew, after 0.5 s doubling to 30 s.
 * The epoch changes, and every subscriber is reset (forgets everything), each time the feed goes down
 * and each time it comes up, since notifications may have been missed in between; a subscriber that
 * throws on a change also resets them all.
 *
 * What each subscriber does while the feed is not live:
 * - ReadCache keeps and serves nothing: every answer is read from the database;
 * - UnknownKeyCache keeps and serves nothing: every unknown key is looked up;
 * - RateLimiter holds no lease: every request is counted on its own in PostgreSQL, which also refuses
 *   a revoked key (UNAUTHORIZED) on every request;
 * - MembershipCache keeps and serves nothing: every signed-in request looks its membership up;
 * - AuthCache still recognises a key verified in the last 10 s, but that request then goes through the
 *   rate limiter's count, so a revocation still takes effect on the next request.
 *
 * An answer read while a change was committing is never kept. A subscriber takes a token before it
 * reads the database (its count of changes heard, or the feed's epoch) and keeps what it read only if
 * no relevant change arrived and the feed did not go down or come up in between. The read may have run
 * on a snapshot from before the change committed; if the change's notification was handled while the
 * read ran, nothing would ever drop the stale answer, so it is not kept. A change whose notification
 * comes after the answer was kept drops it on arrival. So a kept answer is at most one notification
 * delivery (milliseconds) behind the database.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { notify } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { Change, ChangeFeedState, ChangeSubscriber } from './change-subscriber.js';

const CHANNELS: Record<string, Change['kind']> = {
  ingest_file_changes: 'file',
  ingest_api_key_changes: 'apiKey',
  ingest_membership_changes: 'membership',
};

/** How often the connection proves it delivers: a notification it sends itself must come back. */
const PROBE_EVERY_MS = 1_000;
/** With no probe back for this long the feed is not live (caches step aside, nothing is reset yet). */
const FRESH_FOR_MS = 3_000;
/** A probe not back after this long: the connection is lost (reset, and made anew). */
const PROBE_TIMEOUT_MS = 5_000;
/** Connecting, listening and the first probe (sent from another connection) together. */
const CONNECT_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * One dedicated connection that LISTENs for the change notifications of migrations 0009 and 0011 and hands
 * them to subscribers, live only while its probes come back (see the protocol at the top of this file).
 */
export class ChangeFeed implements ChangeFeedState {
  private client: pg.Client | null = null;
  /** A connection being made, not yet trusted. */
  private connecting: pg.Client | null = null;
  private subscribers: ChangeSubscriber[] = [];
  private connected = false;
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private epochCount = 0;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  /** The self-probe in flight: its token and when it was sent. */
  private outstanding: { token: string; sentAt: number } | null = null;
  /** Probes from another connection being waited for, by token. */
  private readonly awaited = new Map<string, () => void>();
  /** This feed's own probe channel, so no other process's probes reach it. */
  private readonly probeChannel = `ingest_change_probe_${randomUUID().replaceAll('-', '')}`;

  /**
   * `config` opens the listening connection; `notify` sends a notification over another connection
   * (a pool's), for the probe when the connection is made. `now` and `openClient` are there for unit
   * tests, which drive the probes with a fake clock and a stand-in connection.
   */
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly notify: (channel: string, payload: string) => Promise<unknown>,
    private readonly log: Logger,
    private readonly now: () => number = () => performance.now(),
    private readonly openClient: (config: pg.ClientConfig) => pg.Client = (config) => new pg.Client(config),
  ) {}

  get live(): boolean {
    return this.connected && this.now() - this.confirmedAt < FRESH_FOR_MS;
  }

  get epoch(): number {
    return this.epochCount;
  }

  subscribe(subscriber: ChangeSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /**
   * Connects and starts listening. Resolves once the first attempt worked or failed (within 10 s):
   * without the feed the server still answers every request, from the database.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const pending = this.connecting;
    const client = this.client;
    this.goDown();
    // Ending a connection being made fails its pending steps at once; connect() then gives up quietly.
    await Promise.all([pending?.end().catch(() => undefined), client?.end().catch(() => undefined)]);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = this.openClient({ ...this.config, application_name: 'ingest-changes', keepAlive: true });
    let failure: Error | undefined;
    const fail = (err: Error) => {
      if (client === this.client) this.lost(client, err);
      else failure ??= err;
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (message) => this.deliver(message));
    this.connecting = client;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`not listening after ${CONNECT_TIMEOUT_MS} ms`));
          client.end().catch(() => undefined);
        }, CONNECT_TIMEOUT_MS);
      });
      await Promise.race([this.listen(client), timedOut]);
      if (failure) throw failure;
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      if (this.closed) return;
      this.log.warn(
        { err, retryMs: this.retryMs },
        'change feed: not receiving notifications; answering uncached',
      );
      this.scheduleRetry();
      return;
    } finally {
      clearTimeout(timer);
      if (this.connecting === client) this.connecting = null;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    this.epochCount++;
    this.resetSubscribers();
    this.connected = true;
    this.confirmedAt = this.now();
    this.probeTimer = setInterval(() => this.probe(client), PROBE_EVERY_MS).unref();
    this.log.info('change feed: listening');
  }

  /** LISTEN on every channel, then wait for a notification sent from another connection. */
  private async listen(client: pg.Client): Promise<void> {
    await client.connect();
    const channels = [...Object.keys(CHANNELS), this.probeChannel];
    await client.query(channels.map((c) => `LISTEN ${c}`).join('; '));
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<void>((resolve) => this.awaited.set(token, resolve));
    try {
      await this.notify(this.probeChannel, token);
      // Timed from when the notification was sent, not from when the pool had a connection for it.
      await Promise.race([
        arrived,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`a notification sent to it did not arrive within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.awaited.delete(token);
    }
  }

  /** Sends the next self-probe, or declares the connection lost when the last one never came back. */
  private probe(client: pg.Client): void {
    if (client !== this.client) return;
    if (this.outstanding) {
      if (this.now() - this.outstanding.sentAt >= PROBE_TIMEOUT_MS) {
        this.lost(client, new Error(`no probe back within ${PROBE_TIMEOUT_MS} ms`));
      }
      return;
    }
    const token = randomUUID();
    this.outstanding = { token, sentAt: this.now() };
    notify(client, this.probeChannel, token).catch((err: unknown) => this.lost(client, err as Error));
  }

  private deliver(message: pg.Notification): void {
    const payload = message.payload ?? '';
    if (message.channel === this.probeChannel) {
      if (this.outstanding?.token === payload) {
        this.outstanding = null;
        this.confirmedAt = this.now();
      }
      this.awaited.get(payload)?.();
      return;
    }
    const kind = CHANNELS[message.channel];
    const [organizationId, id] = payload.split(' ');
    if (!kind || !organizationId || !id) {
      this.log.warn({ channel: message.channel }, 'change feed: unexpected notification ignored');
      return;
    }
    try {
      for (const subscriber of this.subscribers) subscriber.change({ kind, organizationId, id });
    } catch (err) {
      // A subscriber that missed a change may hold stale answers: everyone forgets everything.
      this.log.error({ err }, 'change feed: a subscriber failed on a change; resetting all');
      this.epochCount++;
      this.resetSubscribers();
    }
  }

  /** The connection failed, ended or stopped delivering: stop trusting caches, and listen again. */
  private lost(client: pg.Client, err?: Error): void {
    if (client !== this.client) return;
    this.goDown();
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    // A connection that stopped answering may never end on its own: close its socket too.
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.log.warn({ err, retryMs: this.retryMs }, 'change feed: connection lost; answering uncached');
    this.scheduleRetry();
  }

  private goDown(): void {
    clearInterval(this.probeTimer);
    this.client = null;
    this.outstanding = null;
    if (!this.connected) return;
    this.connected = false;
    this.epochCount++;
    this.resetSubscribers();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private resetSubscribers(): void {
    for (const subscriber of this.subscribers) {
      try {
        subscriber.reset();
      } catch (err) {
        this.log.error({ err }, 'change feed: a subscriber failed to reset');
      }
    }
  }
}
