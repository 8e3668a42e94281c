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

/** How often the idle connection is probed, and how long a probe may take before it counts as lost. */
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
 * reset both when it goes down and when it comes back. The connection is probed every 10 s, so one that
 * died silently (no RST) is noticed; it is then re-made with backoff (0.5 s doubling to 30 s).
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

  constructor(
    private readonly config: pg.ClientConfig,
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
      await client.query(
        Object.keys(CHANNELS)
          .map((channel) => `LISTEN ${channel}`)
          .join('; '),
      );
    } catch (err) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      this.log.warn({ err, retryMs: this.retryMs }, 'change feed: cannot listen; answering uncached');
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
    this.probeTimer = setInterval(() => this.probe(client), PROBE_EVERY_MS).unref();
    this.log.info('change feed: listening');
  }

  private probe(client: pg.Client): void {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('change feed probe timed out')), PROBE_TIMEOUT_MS);
    });
    Promise.race([client.query('SELECT 1'), timedOut])
      .catch((err: unknown) => this.lost(client, err as Error))
      .finally(() => clearTimeout(timer));
  }

  private deliver(message: pg.Notification): void {
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
