import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAudit, enterTenant } from '../src/db/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment({ threads: 1 });
});
afterAll(async () => {
  await env?.close();
});

describe('ensureAudit', () => {
  it('returns the same audit on every call', async () => {
    const org = await env.organization('audit-repeat');
    const client = await env.services.pool.connect();
    try {
      await client.query('BEGIN');
      await enterTenant(client, org.id);
      const id = await ensureAudit(client, org.id, 'monthly');
      expect(await ensureAudit(client, org.id, 'monthly')).toBe(id);
      expect(await ensureAudit(client, org.id, 'weekly')).not.toBe(id);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });

  it('finds the audit a concurrent transaction created and committed while this one waited for it', async () => {
    const org = await env.organization('audit-race');
    const first = await env.services.pool.connect();
    const second = await env.services.pool.connect();
    try {
      await first.query('BEGIN');
      await enterTenant(first, org.id);
      const created = await ensureAudit(first, org.id, 'quarterly');
      const { rows: backend } = await second.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await second.query('BEGIN');
      await enterTenant(second, org.id);
      // Blocks on the unique index until `first` ends; its statement snapshot predates that commit.
      const waiting = ensureAudit(second, org.id, 'quarterly');
      for (let i = 0; ; i++) {
        const { rows } = await env.admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
          [backend[0]?.pid],
        );
        if (rows.length > 0) break;
        if (i >= 200) throw new Error('the second ensureAudit never waited for the first transaction');
        await new Promise((r) => setTimeout(r, 10));
      }
      await first.query('COMMIT');
      expect(await waiting).toBe(created);
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
  });
});
