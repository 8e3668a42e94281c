import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../logger.js';

/** A committed change to a row that cached answers depend on (migration 0009's triggers). */
export interface Change {
  kind: 'file' | 'apiKey';
  organizationId: string;
  /** The file's or the API key's id. */
  id: string;
}

/** What a cache implements to stay true to the database. */
export interface ChangeSubscriber {
  /** A change committed. Called in commit order of the notifications' delivery. */
  change(change: Change): void;
  /**
   * Notifications may have been missed (the feed's connection was lost, or has just been made):
   * everything derived from the database must be forgotten.
   */
  reset(): void;
}

/** What readers of the feed look at before and after reading the database. */
export interface ChangeFeedState {
  /** True while notifications are being received: only then may answers be kept. */
  readonly live: boolean;
  /** Changes each time the feed goes down or comes up. */
  readonly epoch: number;
}

const CHANNELS: Record<string, Change['kind']> = {
  ingest_file_changes: 'file',
  ingest_api_key_changes: 'apiKey',
};

/** Where the probes' notifications go. */
const PROBE_CHANNEL = 'ingest_change_feed_probe';
/** How often delivery is probed, and how long a probe may take before the connection counts as lost. */
const PROBE_EVERY_MS = 10_000;
const PROBE_TIMEOUT_MS = 5_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * One dedicated connection that LISTENs for the change notifications of migration 0009 and hands
 * them to subscribers. PostgreSQL delivers a notification only when its transaction commits, to every
 * listening connection, whichever process made the change.
 *
 * While the connection is down nothing is delivered, so the feed is not `live` and subscribers are
 * reset both when it goes down and when it comes back. Delivery itself is probed when the connection
 * is made and every 10 s after (a notification sent over another connection must arrive within 5 s),
 * so a connection that died silently, or a proxy that accepts LISTEN but delivers nothing, is noticed;
 * the connection is then re-made with backoff (0.5 s doubling to 30 s).
 */
export class ChangeFeed implements ChangeFeedState {
  private client: pg.Client | null = null;
  private subscribers: ChangeSubscriber[] = [];
  private isLive = false;
  private epochCount = 0;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;

  private readonly probes = new Map<string, () => void>();

  /**
   * `config` opens the listening connection; `notify` sends a notification over another connection
   * (a pool's), for the probes.
   */
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly notify: (channel: string, payload: string) => Promise<unknown>,
    private readonly log: Logger,
  ) {}

  get live(): boolean {
    return this.isLive;
  }

  get epoch(): number {
    return this.epochCount;
  }

  subscribe(subscriber: ChangeSubscriber): void {
    this.subscribers.push(subscriber);
  }

  /**
   * Connects and starts listening. Resolves whether or not the first attempt worked: without the feed
   * the server still answers every request, from the database.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.probeTimer);
    const client = this.client;
    this.goDown();
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...this.config, application_name: 'ingest-changes', keepAlive: true });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => this.deliver(message));
    try {
      await client.connect();
      await client.query([...Object.keys(CHANNELS), PROBE_CHANNEL].map((c) => `LISTEN ${c}`).join('; '));
      // LISTEN succeeds through a transaction-pooling proxy too, which then delivers nothing: only a
      // notification that arrived proves the feed works.
      await this.roundTrip();
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      this.log.warn(
        { err, retryMs: this.retryMs },
        'change feed: not receiving notifications; answering uncached',
      );
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    this.epochCount++;
    this.resetSubscribers();
    this.isLive = true;
    this.probeTimer = setInterval(() => {
      this.roundTrip().catch((err: unknown) => this.lost(client, err as Error));
    }, PROBE_EVERY_MS).unref();
    this.log.info('change feed: listening');
  }

  /**
   * Sends a notification from another connection (`notify`) and waits for it to arrive here: a
   * connection that died silently, or one that a proxy stopped delivering to, fails within the timeout.
   */
  private async roundTrip(): Promise<void> {
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<void>((resolve, reject) => {
      this.probes.set(token, resolve);
      timer = setTimeout(
        () => reject(new Error(`no notification arrived within ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.all([this.notify(PROBE_CHANNEL, token), arrived]);
    } finally {
      clearTimeout(timer);
      this.probes.delete(token);
    }
  }

  private deliver(message: pg.Notification): void {
    if (message.channel === PROBE_CHANNEL) {
      this.probes.get(message.payload ?? '')?.();
      return;
    }
    const kind = CHANNELS[message.channel];
    const [organizationId, id] = (message.payload ?? '').split(' ');
    if (!kind || !organizationId || !id) {
      this.log.warn({ channel: message.channel }, 'change feed: unexpected notification ignored');
      return;
    }
    for (const subscriber of this.subscribers) subscriber.change({ kind, organizationId, id });
  }

  /** The connection failed or ended: stop trusting caches, and listen again. */
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
    if (!this.isLive) return;
    this.isLive = false;
    this.epochCount++;
    this.resetSubscribers();
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs).unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private resetSubscribers(): void {
    for (const subscriber of this.subscribers) subscriber.reset();
  }
}
