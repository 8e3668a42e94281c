import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlock } from './support/readme-block.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);

let t: TestServer;
let cwd: string;
beforeAll(async () => {
  t = await startTestServer();
  cwd = await mkdtemp(join(tmpdir(), 'ingest-dashboards-readme-'));
  await symlink(resolve('fixtures'), join(cwd, 'fixtures'));
});
afterAll(async () => {
  await t?.close();
  await rm(cwd, { recursive: true, force: true });
});

describe('"Dashboards" in the README', () => {
  it('runs the curl examples as written against a real server, then the SQL with psql', async () => {
    const commands = (await readmeBlock('dashboard-examples', 'sh'))
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .filter((line) => line.startsWith('curl '));
    expect(commands).toHaveLength(11);
    const { key } = await t.key('acme');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', INGEST_URL: t.url, INGEST_KEY: key };
    const out: Array<Record<string, unknown>> = [];
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', command], { cwd, env });
      const body = JSON.parse(stdout) as Record<string, unknown>;
      expect(body, command).not.toHaveProperty('error');
      if (!env.AUDIT_ID && typeof body.auditId === 'string') env.AUDIT_ID = body.auditId;
      if (!env.FILE_ID && typeof body.fileId === 'string') env.FILE_ID = body.fileId;
      out.push(body);
    }
    expect(out[0]).toMatchObject({
      name: '2026-q1',
      status: 'draft',
      period: { from: '2026-01-01', to: '2026-03-31' },
    });
    expect(out[2]).toEqual({ auditId: env.AUDIT_ID, fileId: env.FILE_ID, attached: true });
    expect(out[3]).toMatchObject({
      duplicate: true,
      fileId: env.FILE_ID,
      audit: { name: '2026-q1-review', linked: true },
    });
    expect(out[4]).toMatchObject({ status: 'collecting' });
    expect((out[5]!.audits as Array<{ auditId: string }>).map((a) => a.auditId)).toEqual([env.AUDIT_ID]);
    expect(out[6]).toMatchObject({
      files: [{ fileId: env.FILE_ID, rows: 10 }],
      results: { readyFiles: 1, rows: 10 },
    });
    expect(out[7]).toMatchObject({
      totals: { rows: 10 },
      stageSeconds: { 'draft->collecting': expect.any(Number) },
    });
    expect(out[8]).toMatchObject({
      totals: { files: { ready: 1 }, rows: 10, audits: { total: 2, byStatus: { collecting: 2 } } },
    });
    const stages = (out[8]!.funnel as { stages: Array<{ stage: string; reached: number }> }).stages;
    expect(stages.map((s) => [s.stage, s.reached])).toEqual([
      ['draft', 2],
      ['collecting', 2],
      ['processing', 0],
      ['ready', 0],
      ['reviewed', 0],
      ['failed', 0],
      ['archived', 0],
    ]);
    expect(out[9]).toMatchObject({ detached: true });
    expect(out[10]).toMatchObject({ deleted: true });

    const script = join(cwd, 'dashboards.sql');
    await writeFile(script, await readmeBlock('dashboard-sql', 'sql'));
    await t.env.admin.query('REFRESH MATERIALIZED VIEW analytics.organization_metrics');
    const { stdout, stderr } = await run(
      'psql',
      [t.env.url, '-X', '-v', 'ON_ERROR_STOP=1', '-A', '-F', '|', '-f', script],
      { cwd, env: { PATH: process.env.PATH ?? '' } },
    ).catch((err) => err);
    expect(stderr).toBe('');
    // The funnel (no audit was created in March 2026 unless today is in it), then the totals.
    expect(stdout).toMatch(/^stage\|reached\|conversion\|median_seconds$/m);
    expect(stdout).toMatch(/^ready_files\|failed_files\|processing_files\|/m);
    expect(stdout).toMatch(/^original_bytes\|stored_bytes\|archived_bytes\|charged_bytes\|quota_bytes$/m);
  });
});
