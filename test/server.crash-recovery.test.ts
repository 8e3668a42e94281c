import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepOrphanedSpoolFiles } from '../src/ingest/recover-spool.js';
import { logger } from '../src/logger.js';
import { csvOfSize, openUpload } from './support/raw-http.js';
import { type ServeProcess, spawnServe } from './support/serve-process.js';
import { startTestServer, type TestServer, waitFor } from './support/server.js';

let t: TestServer;
let home: string;
const children: ServeProcess[] = [];

beforeAll(async () => {
  // The server that stays up: it must recover what a crashed sibling left, without a restart.
  t = await startTestServer({ recoveryIntervalMs: 500 });
  home = await mkdtemp(join(tmpdir(), 'ingest-crash-'));
});
afterAll(async () => {
  for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
  await t?.close();
  await rm(home, { recursive: true, force: true });
});

/** `ingest serve` as a child process on the test server's database, with an INGEST_HOME of its own. */
async function sibling(): Promise<ServeProcess> {
  const child = await spawnServe({ DATABASE_URL: t.env.url, INGEST_HOME: home, INGEST_LOG_LEVEL: 'warn' });
  children.push(child);
  return child;
}

async function processingRows(organizationId: string): Promise<number> {
  const { rowCount } = await t.env.admin.query(
    `SELECT 1 FROM storage_meta.files WHERE organization_id = $1 AND status = 'processing'`,
    [organizationId],
  );
  return rowCount ?? 0;
}

describe('crash leftovers', () => {
  it('a server killed with SIGKILL mid-ingest leaves a spool file and a processing row; a running server recovers the row, a new start sweeps the file', async () => {
    const { key, organization } = await t.key('crash');
    const spool = join(home, 'spool');
    const crashing = await sibling();
    const { req, response } = openUpload(`${crashing.url}/v1/files?filename=big.csv`, key);
    response.catch(() => undefined);
    req.on('error', () => undefined);
    req.end(csvOfSize(24 * 1024 * 1024, 9));
    await waitFor(async () => (await processingRows(organization.id)) === 1, 30_000);

    // While its writer lives, a sweep from another process leaves its spool file alone.
    expect(await readdir(spool)).toHaveLength(1);
    expect(await sweepOrphanedSpoolFiles(spool, logger)).toBe(0);
    expect(await readdir(spool)).toHaveLength(1);

    const exited = once(crashing.child, 'exit');
    crashing.child.kill('SIGKILL');
    await exited;
    req.destroy();
    // What the dead process left: its upload on the spool disk, and a row holding the quota.
    expect(await readdir(spool)).toHaveLength(1);
    expect(await processingRows(organization.id)).toBe(1);

    // The server that was running all along (never restarted) removes the row at its next pass.
    await waitFor(async () => (await processingRows(organization.id)) === 0, 10_000);
    const { rowCount } = await t.env.admin.query(
      'SELECT 1 FROM storage_meta.files WHERE organization_id = $1',
      [organization.id],
    );
    expect(rowCount).toBe(0);

    // A new start on the same INGEST_HOME sweeps the dead process's spool file.
    const restarted = await sibling();
    expect(await readdir(spool)).toEqual([]);
    expect(await restarted.stop()).toBe(0);
  }, 120_000);
});
