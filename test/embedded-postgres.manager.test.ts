import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  embeddedStatus,
  openDatabase,
  removeEmbedded,
  startEmbedded,
  stopEmbedded,
} from '../src/embedded-postgres/index.js';
import { withClient } from './support/database.js';

async function answers(url: string): Promise<boolean> {
  return withClient(url, async (client) => (await client.query('SELECT 1 AS one')).rows[0]?.one === 1);
}

// Real PostgreSQL in a home of its own, whether or not DATABASE_URL is set.
describe('embedded PostgreSQL', () => {
  let home: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'ingest-embedded-test-'));
  });

  afterAll(async () => {
    if (!home) return;
    await removeEmbedded(home);
    await rm(home, { recursive: true, force: true });
  });

  it('db start -> status -> reuse by openDatabase (release keeps it) -> db stop', async () => {
    const started = await startEmbedded(home);
    expect(started.alreadyRunning).toBe(false);
    expect(started.connectionString).toMatch(
      new RegExp(`^postgres://postgres:[0-9a-f]+@127\\.0\\.0\\.1:${started.port}/ingest$`),
    );

    const status = await embeddedStatus(home);
    expect(status).toMatchObject({ running: true, port: started.port, pid: started.pid });

    const handle = await openDatabase({ home });
    expect(handle.embedded).toBe(true);
    expect(handle.connectionString).toBe(started.connectionString);
    expect(await answers(handle.connectionString)).toBe(true);
    await handle.release();
    expect(await embeddedStatus(home)).toMatchObject({ running: true, pid: started.pid });

    const again = await startEmbedded(home);
    expect(again).toMatchObject({ alreadyRunning: true, pid: started.pid, port: started.port });

    expect(await stopEmbedded(home)).toEqual({ stopped: true });
    expect((await embeddedStatus(home)).running).toBe(false);
    expect(await stopEmbedded(home)).toEqual({ stopped: false });
  });

  it('openDatabase with no server running starts a transient one that release stops', async () => {
    const handle = await openDatabase({ home });
    expect(handle.embedded).toBe(true);
    expect(await answers(handle.connectionString)).toBe(true);
    expect((await embeddedStatus(home)).running).toBe(true);
    await handle.release();
    await handle.release(); // idempotent
    expect((await embeddedStatus(home)).running).toBe(false);
  });

  it('shares one transient server between concurrent users; the last release stops it', async () => {
    const [a, b] = await Promise.all([openDatabase({ home }), openDatabase({ home })]);
    expect(a.connectionString).toBe(b.connectionString);
    await a.release();
    expect(await answers(b.connectionString)).toBe(true);
    await b.release();
    expect((await embeddedStatus(home)).running).toBe(false);
  });

  it('db start makes a running transient server persistent', async () => {
    const transient = await openDatabase({ home });
    const started = await startEmbedded(home);
    expect(started.alreadyRunning).toBe(true);
    await transient.release();
    expect((await embeddedStatus(home)).running).toBe(true);
    expect(await stopEmbedded(home)).toEqual({ stopped: true });
  });

  it('returns DATABASE_URL untouched with a no-op release', async () => {
    const url = 'postgres://someone@db.example:5432/x';
    const handle = await openDatabase({ databaseUrl: url, home });
    expect(handle).toMatchObject({ connectionString: url, embedded: false });
    await handle.release();
  });
});
