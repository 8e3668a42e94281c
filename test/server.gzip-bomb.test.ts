import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/database.js';
import { runCli } from './support/run-cli.js';
import type { ServeProcess } from './support/serve-process.js';
import { type ServedOrganization, serveOrganization } from './support/served-organization.js';
import { json } from './support/server.js';

const MiB = 1024 * 1024;
const MAX_INFLATED = 16 * MiB;
const RATIO_FLOOR = 4 * MiB;

let served: ServedOrganization;
let db: TestDatabase;
let home: string;
let server: ServeProcess;
let key: string;
let env: Record<string, string>;

beforeAll(async () => {
  served = await serveOrganization('bombed', 'ingest-bomb-', {
    // Small limits, as an operator would set them; the ratio keeps its default of 100.
    INGEST_MAX_UPLOAD_BYTES: '5MB',
    INGEST_MAX_INFLATED_BYTES: String(MAX_INFLATED),
    INGEST_INFLATION_RATIO_FLOOR: String(RATIO_FLOOR),
  });
  ({ db, home, server, key, env } = served);
}, 60_000);
afterAll(() => served?.close());

/** `bytes` of CSV rows that are all zeros, streamed through gzip -9: about 1,000:1. */
async function gzipBomb(bytes: number): Promise<Buffer> {
  const row = '0,0,0,0,0,0,0,0\n';
  const block = Buffer.from(row.repeat(MiB / row.length));
  async function* rows() {
    yield Buffer.from('a,b,c,d,e,f,g,h\n');
    for (let sent = 0; sent < bytes; sent += block.length) yield block;
  }
  return buffer(Readable.from(rows()).pipe(createGzip({ level: 9 })));
}

function upload(body: Buffer, filename: string): Promise<Response> {
  return fetch(`${server.url}/v1/files?filename=${filename}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/octet-stream' },
    body,
  });
}

/** Peak and current resident set of the server process, in bytes (Linux /proc). */
async function memory(): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

async function storedRows(): Promise<number> {
  const { rows } = await db.pool.query(
    'SELECT (SELECT count(*) FROM storage_meta.files) + (SELECT count(*) FROM storage_meta.file_chunks) AS n',
  );
  return Number(rows[0].n);
}

describe('gzip bombs', () => {
  it('refuses 200 MB of rows in a small .csv.gz once it inflates past the limit, keeping the server small', async () => {
    const bomb = await gzipBomb(200 * MiB);
    expect(bomb.length).toBeLessThan(1 * MiB);
    const before = await memory();
    const res = await upload(bomb, 'bomb.csv.gz');
    expect(res.status).toBe(413);
    const { error } = await json(res);
    expect(error).toMatchObject({
      code: 'INFLATED_TOO_LARGE',
      file: 'bomb.csv.gz',
      maxInflatedBytes: MAX_INFLATED,
      message: expect.stringContaining('INGEST_MAX_INFLATED_BYTES'),
    });
    // Inflating stopped at the first block past the limit: nothing after it was read.
    expect(error.inflatedBytes).toBeGreaterThan(MAX_INFLATED);
    expect(error.inflatedBytes).toBeLessThanOrEqual(MAX_INFLATED + 64 * 1024);
    const after = await memory();
    // Chunks are streamed, a few MiB at a time: the bomb never becomes resident.
    expect(after.peak - before.peak).toBeLessThan(100 * MiB);
    expect(await storedRows()).toBe(0);
  }, 120_000);

  it('refuses by ratio past the floor, and lets a small, very compressible file through', async () => {
    // 8 MiB of rows from ~8 KB: past the 4 MiB floor, and 100x the compressed size is far below 8 MiB.
    const bomb = await gzipBomb(8 * MiB);
    const res = await upload(bomb, 'ratio.csv.gz');
    expect(res.status).toBe(413);
    const { error } = await json(res);
    expect(error).toMatchObject({
      code: 'INFLATED_TOO_LARGE',
      maxInflatedBytes: RATIO_FLOOR,
      compressedBytes: bomb.length,
      message: expect.stringContaining('INGEST_MAX_INFLATION_RATIO'),
    });

    // 2 MiB from a few KB (over 500:1) is under the floor: a small file is not judged by its ratio.
    const small = await gzipBomb(2 * MiB);
    expect(small.length * 100).toBeLessThan(2 * MiB);
    const ok = await upload(small, 'small.csv.gz');
    expect(ok.status).toBe(201);
    expect((await json(ok)).rows).toBe((2 * MiB) / 16);
  }, 120_000);

  it('refuses the same bomb through the CLI', async () => {
    const path = join(home, 'bomb.csv.gz');
    await writeFile(path, await gzipBomb(64 * MiB));
    const run = await runCli([path, '--org', 'cli-bomb', '--json'], env);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      filename: path,
      error: { code: 'INFLATED_TOO_LARGE', message: expect.stringContaining('bomb.csv.gz is gzip data') },
    });
  }, 120_000);

  it('refuses a header longer than INGEST_MAX_HEADER_BYTES (1 MiB by default) as soon as that much is read', async () => {
    const header = `"${'x'.repeat(8 * MiB)}"\n1\n`;
    const res = await upload(gzipSync(header), 'long-name.csv.gz');
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatchObject({
      code: 'HEADER_TOO_LARGE',
      file: 'long-name.csv.gz',
      maxHeaderBytes: MiB,
    });
  }, 60_000);
});
