import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertPoolReleased } from './support/database.js';
import { csvOfSize } from './support/raw-http.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

function upload(key: string, body: Buffer, filename: string): Promise<Response> {
  return t.request(`/v1/files?filename=${filename}`, key, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body,
  });
}

describe('concurrent uploads', () => {
  it('answers 20 concurrent uploads of different files, each with its own file', async () => {
    const { key, organization } = await t.key('twenty');
    const bodies = Array.from({ length: 20 }, (_, i) => csvOfSize(50_000 + i * 1000, i));
    const responses = await Promise.all(bodies.map((b, i) => upload(key, b, `part-${i}.csv`)));
    const results = await Promise.all(responses.map((r) => json(r)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    results.forEach((r, i) => {
      expect(r).toMatchObject({ filename: `part-${i}.csv`, bytes: bodies[i]!.length, duplicate: false });
    });
    expect(new Set(results.map((r) => r.fileId)).size).toBe(20);
    const { rows } = await t.env.admin.query(
      `SELECT count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1 AND status = 'ready'`,
      [organization.id],
    );
    expect(rows[0].n).toBe(20);
    assertPoolReleased(t.env.services.pool);
  });

  it('answers 10 concurrent uploads of the same bytes with exactly one file', async () => {
    const { key, organization } = await t.key('ten-same');
    const body = csvOfSize(300_000, 99);
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => upload(key, body, `same-${i}.csv`)),
    );
    const results = await Promise.all(responses.map((r) => json(r)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(new Set(results.map((r) => r.fileId)).size).toBe(1);
    const [first] = results;
    expect(first).toBeDefined();
    for (const r of results) expect(r).toMatchObject({ bytes: body.length, rows: first?.rows });
    const { rows } = await t.env.admin.query(
      'SELECT count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1',
      [organization.id],
    );
    expect(rows[0].n).toBe(1);
    assertPoolReleased(t.env.services.pool);
  });
});
