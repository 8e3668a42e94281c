import { mkdir, readdir, stat } from 'node:fs/promises';
import type { ClientRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createOrganization } from '../src/db/index.js';
import { csvOfSize, openUpload, type RawResponse } from './support/raw-http.js';
import { json, NO_TRACES, startTestServer, type TestServer, waitFor } from './support/server.js';
import { mountTmpfsOrSkip, unmountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;
const servers: TestServer[] = [];
const requests: ClientRequest[] = [];

afterEach(async () => {
  for (const req of requests.splice(0)) req.destroy();
  for (const t of servers.splice(0)) await t.close();
});

async function server(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const t = await startTestServer(options);
  servers.push(t);
  return t;
}

/** An upload whose body the test writes; tracked so afterEach ends it. */
function open(t: TestServer, key: string, headers: Record<string, string> = {}) {
  const upload = openUpload(`${t.url}/v1/files`, key, headers);
  requests.push(upload.req);
  upload.response.catch(() => undefined);
  return upload;
}

function write(req: ClientRequest, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => req.write(bytes, (err) => (err ? reject(err) : resolve())));
}

/** The answer, or 'no answer' when none came within `ms`. */
function answerWithin(response: Promise<RawResponse>, ms: number): Promise<RawResponse | 'no answer'> {
  return Promise.race([response, sleep(ms).then(() => 'no answer' as const)]);
}

async function spoolBytes(t: TestServer): Promise<number> {
  let total = 0;
  for (const name of await readdir(t.env.services.spoolDir).catch(() => [])) {
    total += (await stat(join(t.env.services.spoolDir, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

describe('upload admission', () => {
  it("keeps 15 stalled uploads of one organization from failing another's upload on a full spool", async (ctx) => {
    const t = await server({
      uploadAdmission: { spoolBytesPerOrg: 4 * MiB, bodyIdleTimeoutMs: 120_000, minUploadBytesPerSecond: 0 },
    });
    // A real spool disk that 15 stalled uploads of 1 MiB nearly fill: a 16 MiB tmpfs.
    const spool = t.env.services.spoolDir;
    await mkdir(spool, { recursive: true });
    await mountTmpfsOrSkip(ctx, spool, '16m');
    try {
      const attacker = await t.key('spool-attacker');
      const victim = await t.key('spool-victim');
      const stalled = Array.from({ length: 15 }, () => open(t, attacker.key));
      const answers: Array<RawResponse | undefined> = stalled.map(() => undefined);
      for (const [i, u] of stalled.entries()) {
        u.response.then(
          (r) => {
            answers[i] = r;
          },
          () => undefined,
        );
      }
      const piece = csvOfSize(MiB, 1);
      await Promise.all(stalled.map((u) => write(u.req, piece).catch(() => undefined)));
      // Each upload is either refused or has its megabyte on the spool disk.
      await waitFor(
        async () => answers.filter(Boolean).length + Math.floor((await spoolBytes(t)) / MiB) >= 15,
      );

      const res = await t.request('/v1/files?filename=victim.csv', victim.key, {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: csvOfSize(3 * MiB, 2),
      });
      expect(res.status).toBe(201);
      // The attacker's uploads past its budget were refused before their bytes were written.
      const refused = answers.filter((a): a is RawResponse => a !== undefined);
      expect(refused.length).toBeGreaterThanOrEqual(11);
      for (const a of refused) {
        expect(a.status).toBe(429);
        expect(JSON.parse(a.body).error).toMatchObject({ code: 'SPOOL_BUDGET_EXCEEDED' });
        expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(await spoolBytes(t)).toBeLessThanOrEqual(4 * MiB);
    } finally {
      for (const req of requests.splice(0)) req.destroy();
      await waitFor(async () => (await readdir(spool)).length === 0);
      await unmountTmpfs(spool);
    }
  });

  it('cuts a body trickling in (slow loris) and one that stalls, with 408 UPLOAD_TOO_SLOW, freeing the spool', async () => {
    const t = await server({ uploadAdmission: { bodyIdleTimeoutMs: 1000, minUploadBytesPerSecond: 1024 } });
    const { key, organization } = await t.key('slow-bodies');

    // 4 bytes every 200 ms: never idle for the timeout, far below the minimum rate.
    const loris = open(t, key);
    await write(loris.req, Buffer.from('id,name\n'));
    let closed = false;
    loris.req.on('close', () => (closed = true));
    const trickle = setInterval(() => {
      if (!loris.req.destroyed) loris.req.write('1,a\n', () => undefined);
    }, 200);
    try {
      // Left alone, the trickle would go on for as long as the client likes: the answer must come first.
      const answer = await answerWithin(loris.response, 15_000);
      expect(answer).not.toBe('no answer');
      const res = answer as RawResponse;
      expect(res.status).toBe(408);
      expect(JSON.parse(res.body).error).toMatchObject({ code: 'UPLOAD_TOO_SLOW' });
      expect(await readdir(t.env.services.spoolDir)).toEqual([]);
      await waitFor(() => closed, 5000);
    } finally {
      clearInterval(trickle);
    }

    // Some bytes, then nothing at all.
    const stalled = open(t, key);
    await write(stalled.req, csvOfSize(64 * 1024, 3));
    const answer = await answerWithin(stalled.response, 15_000);
    expect(answer).not.toBe('no answer');
    expect((answer as RawResponse).status).toBe(408);
    expect(JSON.parse((answer as RawResponse).body).error.code).toBe('UPLOAD_TOO_SLOW');
    expect(await t.traces(organization.id)).toEqual(NO_TRACES);
  });

  it('answers 429 TOO_MANY_UPLOADS with Retry-After past the uploads in flight per key and per organization', async () => {
    const t = await server({
      uploadAdmission: { maxUploadsPerOrg: 3, maxUploadsPerKey: 2, bodyIdleTimeoutMs: 120_000 },
    });
    const first = await t.key('capped');
    const second = await t.key(first.organization);
    const other = await t.key('capped-other');
    const body = csvOfSize(10_000, 4);

    // Two uploads of the first key in flight (their bodies unfinished).
    const held = [open(t, first.key), open(t, first.key)];
    for (const u of held) await write(u.req, csvOfSize(16 * 1024, 5));
    await waitFor(async () => (await readdir(t.env.services.spoolDir).catch(() => [])).length === 2);

    const post = (key: string) =>
      t.request('/v1/files', key, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });
    const byKey = await post(first.key);
    expect(byKey.status).toBe(429);
    expect(byKey.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await json(byKey)).error).toMatchObject({
      code: 'TOO_MANY_UPLOADS',
      option: 'INGEST_MAX_UPLOADS_PER_KEY',
    });

    // The organization's third upload, by its other key, is admitted; a fourth is not.
    const third = open(t, second.key);
    await write(third.req, csvOfSize(16 * 1024, 6));
    await waitFor(async () => (await readdir(t.env.services.spoolDir)).length === 3);
    const byOrg = await post(second.key);
    expect(byOrg.status).toBe(429);
    expect(byOrg.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect((await json(byOrg)).error).toMatchObject({
      code: 'TOO_MANY_UPLOADS',
      option: 'INGEST_MAX_UPLOADS_PER_ORG',
    });

    // Another organization is not affected, and once an upload ends the key may upload again.
    expect((await post(other.key)).status).toBe(201);
    held[0]!.req.destroy();
    await waitFor(async () => (await readdir(t.env.services.spoolDir)).length === 2);
    await waitFor(async () => (await post(first.key)).status === 201);
  });

  it('refuses a Content-Length larger than the quota left beside uploads in flight, before reading the body', async () => {
    const t = await server({ uploadAdmission: { bodyIdleTimeoutMs: 120_000 } });
    const organization = await createOrganization(t.env.admin, {
      slug: 'declared-quota',
      storageQuotaBytes: 1_000_000,
    });
    const { key } = await t.key(organization);
    // 600 KB declared and partly sent: the body is being received.
    const first = open(t, key, { 'content-length': '600000' });
    await write(first.req, csvOfSize(100_000, 7));
    await waitFor(async () => (await readdir(t.env.services.spoolDir).catch(() => [])).length === 1);

    // Another 600 KB does not fit beside it: refused with no body byte sent.
    const second = open(t, key, { 'content-length': '600000' });
    second.req.flushHeaders();
    const answer = await answerWithin(second.response, 10_000);
    expect(answer).not.toBe('no answer');
    expect((answer as RawResponse).status).toBe(403);
    expect(JSON.parse((answer as RawResponse).body).error).toMatchObject({ code: 'QUOTA_EXCEEDED' });

    // 300 KB still fits.
    const small = await t.request('/v1/files', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csvOfSize(300_000, 8),
    });
    expect(small.status).toBe(201);
  });
});
