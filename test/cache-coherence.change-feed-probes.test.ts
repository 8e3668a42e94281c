import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeFeed } from '../src/cache-coherence/index.js';

/**
 * The change feed's timing, driven by fake timers against a stand-in connection: which probes go out
 * when, when the feed stops being live, and when its connection counts as lost. The same feed on a real
 * PostgreSQL connection is exercised in cache-coherence.change-feed.test.ts.
 */

/** Stands in for pg.Client: records LISTENs and self-probes; the test decides which probes come back. */
class FakeConnection extends EventEmitter {
  readonly listened: string[] = [];
  /** Self-probes sent (`SELECT pg_notify`), oldest first. */
  readonly probes: { channel: string; token: string }[] = [];
  ended = false;

  async connect(): Promise<void> {}

  async query(text: string, values?: string[]): Promise<{ rows: never[] }> {
    if (text.startsWith('LISTEN')) {
      this.listened.push(...text.split('; ').map((statement) => statement.replace('LISTEN ', '')));
    } else if (text === 'SELECT pg_notify($1, $2)' && values) {
      this.probes.push({ channel: values[0]!, token: values[1]! });
    } else throw new Error(`unexpected query: ${text}`);
    return { rows: [] };
  }

  async end(): Promise<void> {
    this.ended = true;
  }

  /** PostgreSQL delivering a notification on this connection. */
  deliver(channel: string, payload: string): void {
    this.emit('notification', { channel, payload, processId: 1 });
  }

  /** The last self-probe comes back. */
  answerProbe(): void {
    const probe = this.probes.at(-1);
    if (!probe) throw new Error('no probe was sent');
    this.deliver(probe.channel, probe.token);
  }
}

interface Harness {
  feed: ChangeFeed;
  connections: FakeConnection[];
  /** The epoch at each reset of the subscriber. */
  resets: number[];
  /** Whether the pool's notification (the connect probe) reaches the listening connection. */
  poolDelivers: boolean;
}

function harness(): Harness {
  const h: Harness = {
    feed: undefined as unknown as ChangeFeed,
    connections: [],
    resets: [],
    poolDelivers: true,
  };
  const notify = async (channel: string, payload: string) => {
    if (h.poolDelivers) h.connections.at(-1)?.deliver(channel, payload);
  };
  const open = () => {
    const connection = new FakeConnection();
    h.connections.push(connection);
    return connection as unknown as pg.Client;
  };
  h.feed = new ChangeFeed({}, notify, pino({ level: 'silent' }), () => Date.now(), open);
  h.feed.subscribe({ change: () => undefined, reset: () => h.resets.push(h.feed.epoch) });
  return h;
}

/** Advances the fake clock, running the timers due and the promise callbacks they start. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

let h: Harness;
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
  h = harness();
});
afterEach(async () => {
  await h.feed.close();
  vi.useRealTimers();
});

describe('ChangeFeed probe timing', () => {
  it('is live once the pool’s notification arrives, and listens on its own probe channel', async () => {
    await h.feed.start();
    expect(h.feed.live).toBe(true);
    expect(h.resets).toEqual([1]);
    const [connection] = h.connections;
    expect(connection!.listened.slice(0, 3)).toEqual([
      'ingest_file_changes',
      'ingest_api_key_changes',
      'ingest_membership_changes',
    ]);
    expect(connection!.listened[3]).toMatch(/^ingest_change_probe_[0-9a-f]{32}$/);
  });

  it('notifies itself every second, one probe in flight at a time', async () => {
    await h.feed.start();
    const connection = h.connections[0]!;
    await advance(999);
    expect(connection.probes).toHaveLength(0);
    await advance(1);
    expect(connection.probes).toHaveLength(1);
    expect(connection.probes[0]!.channel).toBe(connection.listened[3]);
    connection.answerProbe();
    await advance(999);
    expect(connection.probes).toHaveLength(1);
    await advance(1);
    expect(connection.probes).toHaveLength(2);
    // Not answered: no second probe goes out while this one is in flight.
    await advance(2_000);
    expect(connection.probes).toHaveLength(2);
    connection.answerProbe();
    await advance(1_000);
    expect(connection.probes).toHaveLength(3);
    // Tokens are distinct, so a late answer cannot stand for a newer probe.
    expect(new Set(connection.probes.map((p) => p.token)).size).toBe(3);
  });

  it('stays live as long as every probe comes back', async () => {
    await h.feed.start();
    const connection = h.connections[0]!;
    for (let second = 1; second <= 30; second++) {
      await advance(1_000);
      connection.answerProbe();
      expect(h.feed.live).toBe(true);
    }
    expect(connection.probes).toHaveLength(30);
    expect(h.resets).toEqual([1]);
    expect(h.feed.epoch).toBe(1);
  });

  it('is not live 3 s after the last probe came back, resets nothing, and is live again when one does', async () => {
    await h.feed.start();
    const connection = h.connections[0]!;
    await advance(1_000);
    connection.answerProbe(); // confirmed at 1 s; the probe sent at 2 s never comes back in time
    await advance(2_999);
    expect(h.feed.live).toBe(true);
    await advance(1);
    expect(h.feed.live).toBe(false);
    expect(h.resets).toEqual([1]);
    expect(h.feed.epoch).toBe(1);
    expect(connection.ended).toBe(false);
    await advance(500);
    connection.answerProbe(); // 2.5 s late, within the 5 s that would count the connection lost
    expect(h.feed.live).toBe(true);
    expect(h.resets).toEqual([1]);
    expect(h.feed.epoch).toBe(1);
  });

  it('counts the connection as lost with a probe outstanding for 5 s, resets, and connects anew after 0.5 s', async () => {
    await h.feed.start();
    const first = h.connections[0]!;
    await advance(1_000); // the first probe goes out at 1 s and never comes back
    expect(first.probes).toHaveLength(1);
    await advance(2_000);
    expect(h.feed.live).toBe(false); // 3 s without a probe back
    await advance(2_999);
    // 4.999 s outstanding: not live, but not lost either.
    expect(first.ended).toBe(false);
    expect(h.resets).toEqual([1]);
    await advance(1);
    expect(first.ended).toBe(true);
    expect(h.resets).toEqual([1, 2]);
    expect(h.feed.live).toBe(false);
    expect(h.connections).toHaveLength(1);
    await advance(499);
    expect(h.connections).toHaveLength(1);
    await advance(1);
    expect(h.connections).toHaveLength(2);
    expect(h.feed.live).toBe(true);
    expect(h.resets).toEqual([1, 2, 3]);
    // The old connection's probe coming back late changes nothing.
    first.answerProbe();
    expect(h.resets).toEqual([1, 2, 3]);
  });

  it('does not trust a connection the pool’s notification does not reach within 5 s, and retries with backoff', async () => {
    h.poolDelivers = false;
    let started = false;
    const starting = h.feed.start().then(() => {
      started = true;
    });
    await advance(4_999);
    expect(started).toBe(false);
    expect(h.feed.live).toBe(false);
    await advance(1);
    await starting;
    expect(started).toBe(true);
    expect(h.feed.live).toBe(false);
    expect(h.connections[0]!.ended).toBe(true);
    expect(h.resets).toEqual([]);
    // Retried after 0.5 s, then (failing again after 5 s) after 1 s.
    await advance(500);
    expect(h.connections).toHaveLength(2);
    await advance(5_000);
    expect(h.connections[1]!.ended).toBe(true);
    h.poolDelivers = true;
    await advance(999);
    expect(h.connections).toHaveLength(2);
    await advance(1);
    expect(h.connections).toHaveLength(3);
    expect(h.feed.live).toBe(true);
    expect(h.resets).toEqual([1]);
  });
});
