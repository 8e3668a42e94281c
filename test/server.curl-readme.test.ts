import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricRowsBytes } from '../src/ingest/stored-bytes.js';
import { startTestServer, type TestServer } from './support/server.js';

const run = promisify(execFile);

let t: TestServer;
let cwd: string;
beforeAll(async () => {
  t = await startTestServer();
  cwd = await mkdtemp(join(tmpdir(), 'ingest-curl-'));
  await symlink(resolve('fixtures'), join(cwd, 'fixtures'));
});
afterAll(async () => {
  await t?.close();
  await rm(cwd, { recursive: true, force: true });
});

/** The commands of the README's curl example block, continuation lines joined, comments dropped. */
async function readmeCommands(): Promise<string[]> {
  const readme = await readFile('README.md', 'utf8');
  const block = /<!-- curl-examples:start -->\n```sh\n([\s\S]*?)```\n<!-- curl-examples:end -->/.exec(readme);
  if (!block) throw new Error('README has no curl-examples block');
  return block[1]!
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl '));
}

/** `METHOD /path` of a command, with the file id as `:id` and without the query. */
function endpointOf(command: string): string {
  const method = /-X (\w+)/.exec(command)?.[1] ?? (/ -F /.test(command) ? 'POST' : 'GET');
  const url = /"\$INGEST_URL([^"?]*)/.exec(command)![1]!;
  return `${method} ${url.replace('$FILE_ID', ':id')}`;
}

describe("the README's HTTP API examples", () => {
  it('run as written with curl against a real server, covering every endpoint', async () => {
    const commands = await readmeCommands();
    expect(new Set(commands.map(endpointOf))).toEqual(
      new Set([
        'POST /v1/files',
        'GET /v1/files',
        'GET /v1/files/:id',
        'GET /v1/files/:id/metrics',
        'GET /v1/files/:id/content',
        'DELETE /v1/files/:id',
        'GET /v1/usage',
        'GET /healthz',
        'GET /readyz',
      ]),
    );

    const { key } = await t.key('curl');
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', INGEST_URL: t.url, INGEST_KEY: key };
    const sample = await readFile('fixtures/sample.csv');
    const outputs: Array<{ command: string; stdout: string }> = [];
    for (const command of commands) {
      const { stdout } = await run('bash', ['-c', command], { cwd, env });
      outputs.push({ command, stdout });
      if (!env.FILE_ID) env.FILE_ID = JSON.parse(stdout).fileId;
    }

    const json = (i: number) => JSON.parse(outputs[i]!.stdout);
    for (const [i, { command, stdout }] of outputs.entries()) {
      if (!command.includes('/content')) expect(json(i), command).not.toHaveProperty('error');
      else expect(stdout).not.toContain('"error"');
    }
    const byEndpoint = (endpoint: string) => outputs.findIndex((o) => endpointOf(o.command) === endpoint);
    expect(json(0)).toMatchObject({ filename: 'sample.csv', rows: 10, duplicate: false });
    expect(json(1)).toMatchObject({ filename: 'bom-semicolon-crlf.csv', rows: 3, delimiter: ';' });
    expect(json(byEndpoint('GET /v1/files')).files).toHaveLength(2);
    expect(json(byEndpoint('GET /v1/files/:id'))).toMatchObject({ fileId: env.FILE_ID, status: 'ready' });
    expect(json(byEndpoint('GET /v1/files/:id/metrics')).metrics.length).toBeGreaterThan(8);
    expect((await readFile(join(cwd, 'copy.csv'))).equals(sample)).toBe(true);
    const normalized = outputs.find((o) => o.command.includes('normalize=true'))!.stdout;
    expect(normalized.split('\n')[0]).toBe(sample.toString().split('\n')[0]);
    // The quota counts what both files store: sample.csv (deleted since) its original, chunk payloads and
    // metric rows as GET .../metrics listed them; the 88-byte file what its row says.
    const { rows: charged } = await t.env.admin.query<{ charged: string; size: string }>(
      `SELECT f.charged_bytes AS charged, f.size_bytes AS size
       FROM storage_meta.files f JOIN tenant.organizations o ON o.id = f.organization_id WHERE o.slug = 'curl'`,
    );
    expect(charged.map((r) => Number(r.size))).toEqual([88]);
    const sampleCharge =
      sample.length +
      json(0).storedBytes +
      metricRowsBytes(json(byEndpoint('GET /v1/files/:id/metrics')).metrics);
    expect(json(byEndpoint('GET /v1/usage'))).toMatchObject({
      organization: 'curl',
      usedBytes: sampleCharge + Number(charged[0]!.charged),
    });
    expect(json(byEndpoint('DELETE /v1/files/:id'))).toEqual({ fileId: env.FILE_ID, deleted: true });
    expect(json(byEndpoint('GET /healthz'))).toEqual({ status: 'ok' });
    expect(json(byEndpoint('GET /readyz'))).toEqual({ status: 'ready' });
  });
});
