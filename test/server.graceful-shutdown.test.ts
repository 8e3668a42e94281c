import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvOfSize, openUpload } from './support/raw-http.js';
import { NO_TRACES, startTestServer, type TestServer, waitFor } from './support/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

describe('graceful shutdown', () => {
  it('lets an upload that ends within the grace period finish, fails the rest cleanly, then stops', async () => {
    const { key, organization } = await t.key('shutdown');
    const finishing = openUpload(`${t.url}/v1/files?filename=finishing.csv`, key);
    const stalled = openUpload(`${t.url}/v1/files?filename=stalled.csv`, key);
    const body = csvOfSize(200_000, 7);
    finishing.req.write(body.subarray(0, 100_000));
    stalled.req.write(csvOfSize(100_000, 8));
    await waitFor(async () => (await readdir(t.env.services.spoolDir).catch(() => [])).length === 2);

    const closed = t.server.close(1500);
    // New connections are refused at once.
    await waitFor(
      async () =>
        fetch(`${t.url}/healthz`).then(
          () => false,
          () => true,
        ),
      5000,
    );
    finishing.req.end(body.subarray(100_000));

    const done = await finishing.response;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body)).toMatchObject({ filename: 'finishing.csv', bytes: body.length });

    const cut = await stalled.response;
    expect(cut.status).toBe(503);
    expect(JSON.parse(cut.body).error.code).toBe('SHUTTING_DOWN');
    stalled.req.destroy();
    await closed;

    const traces = await t.traces(organization.id);
    expect(traces).toMatchObject({ ...NO_TRACES, files: 1, chunks: 1, metrics: traces.metrics, objects: 1 });
    const { rows } = await t.env.admin.query(
      `SELECT filename, status FROM storage_meta.files WHERE organization_id = $1`,
      [organization.id],
    );
    expect(rows).toEqual([{ filename: 'finishing.csv', status: 'ready' }]);
  });
});
