import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/run-cli.js';
import { json, startTestServer, type TestServer } from './support/server.js';

let t: TestServer;
let key: string;
let orgId: string;
beforeAll(async () => {
  t = await startTestServer();
  const k = await t.key('audits-api');
  key = k.key;
  orgId = k.organization.id;
});
afterAll(async () => {
  await t?.close();
});

const send = (method: string, path: string, body?: unknown, k = key) =>
  t.request(path, k, {
    method,
    ...(body !== undefined && {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  });

async function uploadFile(fixture: string, k = key): Promise<string> {
  const res = await t.request(`/v1/files?filename=${fixture}`, k, {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: await readFile(`fixtures/${fixture}`),
  });
  expect(res.status).toBeLessThan(300);
  return (await json(res)).fileId;
}

describe('/v1/audits', () => {
  it('creates, reads, changes, moves through its statuses and deletes an audit, logging each change', async () => {
    const res = await send('POST', '/v1/audits', {
      name: 'Q1 supplier review',
      description: 'Invoices of every supplier for the first quarter',
      category: 'finance',
      period: { from: '2026-01-01', to: '2026-03-31' },
      labels: { team: 'ap' },
    });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({
      name: 'Q1 supplier review',
      status: 'draft',
      category: 'finance',
      period: { from: '2026-01-01', to: '2026-03-31' },
      labels: { team: 'ap' },
      createdBy: 'api',
      files: 0,
    });
    const id = created.auditId as string;

    expect((await send('POST', '/v1/audits', { name: 'Q1 supplier review' })).status).toBe(409);

    const patched = await json(
      await send('PATCH', `/v1/audits/${id}`, { description: 'All invoices', status: 'collecting' }),
    );
    expect(patched).toMatchObject({ description: 'All invoices', status: 'collecting' });
    expect(Object.keys(patched.statusTimes as object)).toEqual(['draft', 'collecting']);

    const refused = await send('PATCH', `/v1/audits/${id}`, { status: 'reviewed' });
    expect(refused.status).toBe(409);
    expect((await json(refused)).error).toMatchObject({
      code: 'AUDIT_TRANSITION',
      from: 'collecting',
      to: 'reviewed',
    });

    for (const status of ['processing', 'ready', 'reviewed']) {
      expect((await json(await send('PATCH', `/v1/audits/${id}`, { status }))).status).toBe(status);
    }
    const del = await send('DELETE', `/v1/audits/${id}`);
    expect(await json(del)).toEqual({ auditId: id, deleted: true });
    expect((await send('GET', `/v1/audits/${id}`)).status).toBe(404);

    const { rows } = await t.env.admin.query(
      `SELECT action, details FROM logs.activity_log WHERE organization_id = $1 AND target_type = 'audit' AND target_id = $2
       ORDER BY created_at, action`,
      [orgId, id],
    );
    // One transaction's entries share its time: compared in order of action.
    expect(rows.map((r) => r.action).sort()).toEqual([
      'audit.create',
      'audit.delete',
      'audit.status',
      'audit.status',
      'audit.status',
      'audit.status',
      'audit.update',
    ]);
  });

  it('attaches a file to two audits, shows it with results, and detaches it', async () => {
    const fileId = await uploadFile('sample.csv');
    const a = (await json(await send('POST', '/v1/audits', { name: 'attach-a' }))).auditId as string;
    const b = (await json(await send('POST', '/v1/audits', { name: 'attach-b' }))).auditId as string;
    const first = await send('POST', `/v1/audits/${a}/files/${fileId}`);
    expect(first.status).toBe(201);
    expect(await json(first)).toEqual({ auditId: a, fileId, attached: true });
    const again = await send('POST', `/v1/audits/${a}/files/${fileId}`);
    expect(again.status).toBe(200);
    expect((await json(again)).attached).toBe(false);
    expect((await send('POST', `/v1/audits/${b}/files/${fileId}`)).status).toBe(201);

    const shown = await json(await send('GET', `/v1/audits/${a}`));
    expect(shown.files).toEqual([
      expect.objectContaining({ fileId, filename: 'sample.csv', rows: 10, status: 'ready' }),
    ]);
    expect(shown.results).toMatchObject({ files: 1, readyFiles: 1, rows: 10, rejectedRows: 0 });

    expect(await json(await send('DELETE', `/v1/audits/${a}/files/${fileId}`))).toEqual({
      auditId: a,
      fileId,
      detached: true,
    });
    expect((await send('DELETE', `/v1/audits/${a}/files/${fileId}`)).status).toBe(404);
    expect((await json(await send('GET', `/v1/audits/${a}`))).files).toEqual([]);
    // Still in b, and the file itself is untouched.
    expect((await json(await send('GET', `/v1/audits/${b}`))).files).toHaveLength(1);
    expect((await t.request(`/v1/files/${fileId}`, key)).status).toBe(200);
  });

  it('filters by words, status, category, period overlap and label, and pages with a cursor', async () => {
    const { key: k } = await t.key('audits-search');
    const make = async (body: object) =>
      (await json(await send('POST', '/v1/audits', body, k))).auditId as string;
    const jan = await make({
      name: 'January stock count',
      category: 'inventory',
      period: { from: '2026-01-01', to: '2026-01-31' },
      labels: { site: 'lyon' },
    });
    const feb = await make({
      name: 'February payroll',
      description: 'salaries and bonuses',
      category: 'hr',
      period: { from: '2026-02-01', to: '2026-02-28' },
    });
    const open = await make({
      name: 'Open-ended vendor audit',
      category: 'inventory',
      period: { from: '2026-02-15' },
      labels: { site: 'paris' },
    });
    const list = async (query: string) =>
      (
        (await json(await send('GET', `/v1/audits?${query}`, undefined, k))).audits as Array<{
          auditId: string;
        }>
      ).map((a) => a.auditId);
    expect(await list('')).toEqual([open, feb, jan]);
    expect(await list('q=bonuses')).toEqual([feb]);
    expect(await list('q=stock%20count')).toEqual([jan]);
    expect(await list('category=inventory')).toEqual([open, jan]);
    expect(await list('from=2026-01-20&to=2026-02-05')).toEqual([feb, jan]);
    expect(await list('from=2026-03-01')).toEqual([open]);
    expect(await list('label=site:lyon')).toEqual([jan]);
    await send('PATCH', `/v1/audits/${feb}`, { status: 'collecting' }, k);
    expect(await list('status=collecting')).toEqual([feb]);

    const page1 = await json(await send('GET', '/v1/audits?limit=2', undefined, k));
    expect((page1.audits as Array<{ auditId: string }>).map((a) => a.auditId)).toEqual([open, feb]);
    const page2 = await json(
      await send('GET', `/v1/audits?limit=2&cursor=${page1.nextCursor}`, undefined, k),
    );
    expect((page2.audits as Array<{ auditId: string }>).map((a) => a.auditId)).toEqual([jan]);
    expect(page2.nextCursor).toBeNull();

    expect((await send('GET', '/v1/audits?status=done', undefined, k)).status).toBe(400);
    expect((await send('GET', '/v1/audits?from=2026-1-1', undefined, k)).status).toBe(400);
  });

  it("hides another organization's audits and files: 404 for each, and its listing stays empty", async () => {
    const mine = (await json(await send('POST', '/v1/audits', { name: 'private' }))).auditId as string;
    const myFile = await uploadFile('bom-semicolon-crlf.csv');
    const other = await t.key('audits-other');
    const theirFile = await uploadFile('sample.csv', other.key);
    expect((await json(await send('GET', '/v1/audits', undefined, other.key))).audits).toEqual([]);
    // The filters answered by definer functions keep to the key's organization too.
    await send('PATCH', `/v1/audits/${mine}`, { labels: { k: 'v' }, period: { from: '2026-01-01' } });
    for (const query of ['q=private', 'label=k:v', 'from=2026-06-01'])
      expect((await json(await send('GET', `/v1/audits?${query}`, undefined, other.key))).audits).toEqual([]);
    expect(
      (await json(await send('GET', '/v1/audits?q=private&label=k:v&from=2026-06-01'))).audits,
    ).toHaveLength(1);
    expect((await send('GET', `/v1/audits/${mine}`, undefined, other.key)).status).toBe(404);
    expect((await send('PATCH', `/v1/audits/${mine}`, { status: 'collecting' }, other.key)).status).toBe(404);
    expect((await send('DELETE', `/v1/audits/${mine}`, undefined, other.key)).status).toBe(404);
    // Their audit, my file: the file is as absent as one that never existed.
    const theirs = (await json(await send('POST', '/v1/audits', { name: 'theirs' }, other.key)))
      .auditId as string;
    const cross = await send('POST', `/v1/audits/${theirs}/files/${myFile}`, undefined, other.key);
    expect(cross.status).toBe(404);
    expect((await json(cross)).error.code).toBe('FILE_NOT_FOUND');
    expect((await send('POST', `/v1/audits/${mine}/files/${theirFile}`)).status).toBe(404);
    const { rows } = await t.env.admin.query('SELECT count(*)::int AS n FROM audit.audits WHERE id = $1', [
      mine,
    ]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('needs files:read to read and files:write to change', async () => {
    const reader = await t.key('audits-api', { scopes: ['files:read'] });
    expect((await send('GET', '/v1/audits', undefined, reader.key)).status).toBe(200);
    expect((await send('POST', '/v1/audits', { name: 'nope' }, reader.key)).status).toBe(403);
    const writer = await t.key('audits-api', { scopes: ['files:write'] });
    expect((await send('GET', '/v1/audits', undefined, writer.key)).status).toBe(403);
    const bad = await send('POST', '/v1/audits', { name: 'x'.repeat(201) });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe('INVALID_OPTION');
  });
});

describe('ingest audit', () => {
  it('create, attach, status, list and show, as a user runs them', async () => {
    const env = { DATABASE_URL: t.env.url, INGEST_HOME: t.env.home };
    const org = await t.env.organization('audits-cli');
    const cli = (...args: string[]) => runCli([...args, '--org', org.slug], env);
    const created = await cli(
      'audit',
      'create',
      'year-end',
      '--category',
      'finance',
      '--from',
      '2026-12-01',
      '--label',
      'a=b',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'year-end',
      status: 'draft',
      period: { from: '2026-12-01', to: null },
      labels: { a: 'b' },
    });
    const ingested = await runCli(['fixtures/sample.csv', '--org', org.slug, '--json'], env);
    const fileId = JSON.parse(ingested.stdout).fileId as string;
    expect((await cli('audit', 'attach', 'year-end', fileId)).stdout).toBe(
      `${fileId}: attached to audit year-end\n`,
    );
    expect((await cli('audit', 'status', 'year-end', 'collecting')).stdout).toBe(
      'audit year-end is collecting\n',
    );
    const refused = await cli('audit', 'status', 'year-end', 'reviewed');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('AUDIT_TRANSITION');
    const listed = (await cli('audit', 'list', '--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(listed).toEqual([expect.objectContaining({ name: 'year-end', status: 'collecting', files: 1 })]);
    const shown = JSON.parse((await cli('audit', 'show', 'year-end', '--json')).stdout);
    expect(shown.results).toMatchObject({ readyFiles: 1, rows: 10 });

    // A duplicate ingest with --audit other links the stored file there and says so.
    const dup = await runCli(['fixtures/sample.csv', '--org', org.slug, '--audit', 'other'], env);
    expect(dup.stderr).toContain(
      `already ingested as file ${fileId} (duplicate, nothing to do; linked to audit "other")`,
    );
  });
});
