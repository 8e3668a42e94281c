import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKeyById } from '../src/api-keys/index.js';
import { type Change, ChangeFeed } from '../src/cache-coherence/index.js';
import { createOrganization } from '../src/db/index.js';
import { logger } from '../src/logger.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { waitFor } from './support/server.js';

let db: TestDatabase;
let other: TestDatabase;
beforeAll(async () => {
  [db, other] = await Promise.all([createTestDatabase(), createTestDatabase({ empty: true })]);
});
afterAll(async () => {
  await Promise.all([db?.drop(), other?.drop()]);
});

const log = logger.child({ stage: 'test' });

function feedOn(notifyPool: pg.Pool): { feed: ChangeFeed; changes: Change[]; resets: number[] } {
  const feed = new ChangeFeed(
    { connectionString: db.url },
    (channel, payload) => notifyPool.query('SELECT pg_notify($1, $2)', [channel, payload]),
    log,
  );
  const seen = { feed, changes: [] as Change[], resets: [] as number[] };
  feed.subscribe({ change: (c) => seen.changes.push(c), reset: () => seen.resets.push(feed.epoch) });
  return seen;
}

describe('ChangeFeed', () => {
  it('delivers committed file and key changes made on other connections, and nothing rolled back', async () => {
    const { feed, changes } = feedOn(db.pool);
    await feed.start();
    try {
      expect(feed.live).toBe(true);
      const org = await createOrganization(db.pool, { slug: 'feed' });
      const inserted = await db.pool.query<{ id: string }>(
        `INSERT INTO storage_meta.files (organization_id, sha256, size_bytes, filename, object_key, status)
         VALUES ($1, repeat('a', 64), 1, 'f.csv', 'k', 'processing') RETURNING id`,
        [org.id],
      );
      const fileId = inserted.rows[0]!.id;
      const client = await db.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`UPDATE storage_meta.files SET status = 'failed' WHERE id = $1`, [fileId]);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await db.pool.query('DELETE FROM storage_meta.files WHERE id = $1', [fileId]);
      const { record } = await createApiKey(db.pool, {
        organizationId: org.id,
        scopes: ['files:read'],
        actor: 'test',
      });
      await revokeApiKeyById(db.pool, record.id, 'test');

      const file = { kind: 'file', organizationId: org.id, id: fileId };
      const key = { kind: 'apiKey', organizationId: org.id, id: record.id };
      await waitFor(() => changes.length >= 4, 2_000);
      // The insert, the delete, the key's creation and its revocation; not the rolled-back update.
      expect(changes).toEqual([file, file, key, key]);
    } finally {
      await feed.close();
    }
    expect(feed.live).toBe(false);
  });

  it('is not live when its notifications do not arrive', async () => {
    // The probe's notification goes to another database, as through a proxy that accepts LISTEN on one
    // server connection and sends NOTIFY on another: the feed must not trust itself.
    const { feed, changes } = feedOn(other.pool);
    await feed.start();
    try {
      expect(feed.live).toBe(false);
      expect(changes).toEqual([]);
    } finally {
      await feed.close();
    }
  });

  it('resets its subscribers when its connection is lost, and again once it listens anew', async () => {
    const { feed, resets } = feedOn(db.pool);
    await feed.start();
    try {
      expect(resets).toHaveLength(1);
      await db.pool.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'ingest-changes' AND datname = current_database()`,
      );
      await waitFor(() => !feed.live, 2_000);
      expect(resets).toHaveLength(2);
      await waitFor(() => feed.live, 5_000);
      expect(resets).toHaveLength(3);
      expect(new Set(resets).size).toBe(3);
    } finally {
      await feed.close();
    }
  });
});
