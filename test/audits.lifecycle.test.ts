import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_STATUSES, auditTransitionAllowed } from '../src/domain/index.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

const upload = (key: string, query: string, body: Buffer) =>
  t.request(`/v1/files?${query}`, key, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

describe('the audit status machine', () => {
  it('is the same in TypeScript and in the trigger of migration 0060, for every pair of statuses', async () => {
    const { rows } = await t.env.admin.query<{ f: string; t: string; ok: boolean }>(
      `SELECT f, t, audit.status_transition_allowed(f, t) AS ok FROM unnest($1::text[]) f, unnest($1::text[]) t`,
      [AUDIT_STATUSES],
    );
    expect(rows).toHaveLength(49);
    for (const r of rows)
      expect(r.ok, `${r.f} -> ${r.t}`).toBe(auditTransitionAllowed(r.f as never, r.t as never));
  });

  it('refuses an illegal transition in the database whoever writes it, and keeps each time and the history', async () => {
    const org = await t.env.organization('audit-trigger');
    const { rows } = await t.env.admin.query<{ id: string }>(
      `INSERT INTO audit.audits (organization_id, name) VALUES ($1, 'q1') RETURNING id`,
      [org.id],
    );
    const id = rows[0]!.id;
    await expect(
      t.env.admin.query(`UPDATE audit.audits SET status = 'ready' WHERE id = $1`, [id]),
    ).rejects.toThrow(/audit status cannot go from draft to ready/);
    for (const s of ['collecting', 'processing', 'ready', 'reviewed', 'archived']) {
      await t.env.admin.query('UPDATE audit.audits SET status = $2 WHERE id = $1', [id, s]);
    }
    const { rows: after } = await t.env.admin.query(
      `SELECT status, jsonb_path_query_array(status_history, '$[*].status') AS history,
         collecting_at IS NOT NULL AND processing_at IS NOT NULL AND ready_at IS NOT NULL
           AND reviewed_at IS NOT NULL AND archived_at IS NOT NULL AND failed_at IS NULL AS times
       FROM audit.audits WHERE id = $1`,
      [id],
    );
    expect(after[0]).toEqual({
      status: 'archived',
      history: ['draft', 'collecting', 'processing', 'ready', 'reviewed', 'archived'],
      times: true,
    });
    await expect(
      t.env.admin.query(`UPDATE audit.audits SET status = 'draft' WHERE id = $1`, [id]),
    ).rejects.toThrow(/from archived to draft/);
  });
});

describe('files and audits, many-to-many', () => {
  it('links a duplicate upload to another audit and says so; a second time it says it already was', async () => {
    const { key, organization } = await t.key('audit-dup');
    const body = await readFile('fixtures/sample.csv');
    const first = await upload(key, 'filename=a.csv&audit=first', body);
    expect(first.status).toBe(201);
    const created = await json(first);
    expect(created.audit).toMatchObject({ name: 'first', linked: true });

    const again = await upload(key, 'filename=a.csv&audit=other', body);
    expect(again.status).toBe(200);
    const linked = await json(again);
    expect(linked).toMatchObject({
      duplicate: true,
      fileId: created.fileId,
      audit: { name: 'other', linked: true },
    });

    const thrice = await json(await upload(key, 'filename=a.csv&audit=other', body));
    expect(thrice).toMatchObject({ duplicate: true, audit: { name: 'other', linked: false } });

    // Without an audit, a duplicate answers as before: no audit field.
    const plain = await json(await upload(key, 'filename=a.csv', body));
    expect(plain.duplicate).toBe(true);
    expect(plain).not.toHaveProperty('audit');

    const { rows } = await t.env.admin.query(
      `SELECT a.name, a.status FROM audit.audit_files l JOIN audit.audits a ON a.id = l.audit_id
       WHERE l.organization_id = $1 AND l.file_id = $2 ORDER BY a.name`,
      [organization.id, created.fileId],
    );
    expect(rows).toEqual([
      { name: 'first', status: 'collecting' },
      { name: 'other', status: 'collecting' },
    ]);
    const { rows: log } = await t.env.admin.query(
      `SELECT count(*)::int AS n FROM logs.activity_log WHERE organization_id = $1 AND action = 'audit.file_attach'`,
      [organization.id],
    );
    expect(log[0]).toEqual({ n: 1 });
  });
});
