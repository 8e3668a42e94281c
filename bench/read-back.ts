/**
 * `node dist/bench/read-back.js [--rows-at <n>] [--runs <n>]`: the read-back paths on generated fixtures,
 * apart from the ingest benchmark (whose modes it leaves as they are).
 *
 * - Page latency: `readRowsPage` (what GET /v1/files/:id/rows and `ingest rows` run) for 100 rows at
 *   offset 0 and at offset --rows-at (default 5,000,000) of a fixture large enough to hold it; median and
 *   max of --runs calls after one warm-up call each.
 * - Materialize: the 100 MB fixture into a new typed table (`materializeFile`), beside `psql \copy` of the
 *   same file into a typed table, in the same run; medians of --runs.
 *
 * Needs DATABASE_URL (or the embedded server) like the CLI. Prints a table and writes
 * bench/results/read-back-<date-time>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { ensureOrganization, getFile, withTenant } from '../src/db/index.js';
import {
  deleteOrganization,
  ingest,
  materializeFile,
  openServices,
  readRowsPage,
} from '../src/ingest/index.js';
import { createBenchSchema, dropBenchSchema, psqlAvailable, psqlBaseline } from './baselines.js';
import { ensureFixture } from './generate-fixture.js';
import { resultsDir } from './paths.js';

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'rows-at': { type: 'string' }, runs: { type: 'string' } },
  });
  const rowsAt = Number(values['rows-at'] ?? 5_000_000);
  const runs = Number(values.runs ?? 5);
  const services = await openServices(loadConfig(), { threads: availableParallelism() });
  const { pool, store } = services;
  const slug = `bench-read-${Date.now()}`;
  const organization = (await ensureOrganization(pool, slug)).organization;
  const out: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
  };
  try {
    // Materialize vs psql \copy on the 100 MB fixture.
    const reference = await ensureFixture(100 * MiB);
    const loaded = await ingest(services, { kind: 'path', path: reference.path }, { organization });
    const materialize: number[] = [];
    let method = '';
    for (let i = 0; i < runs; i++) {
      const r = await materializeFile(services, organization.id, loaded.fileId, {
        table: 'bench.read_back',
        mode: 'replace',
      });
      materialize.push(r.seconds);
      method = r.method;
      if (r.rows !== loaded.rows) throw new Error(`materialized ${r.rows} rows, expected ${loaded.rows}`);
    }
    const psql: number[] = [];
    if (await psqlAvailable()) {
      await createBenchSchema(pool);
      for (let i = 0; i < runs; i++) {
        psql.push((await psqlBaseline(pool, services.database.connectionString, reference)).seconds);
      }
    }
    out.materialize = {
      fixtureBytes: reference.bytes,
      rows: loaded.rows,
      method,
      seconds: median(materialize),
      psqlCopySeconds: psql.length ? median(psql) : null,
      runs: materialize,
      psqlRuns: psql,
    };

    // Page latency at row 0 and at row `rowsAt` of a fixture that holds it.
    const bytesPerRow = reference.bytes / reference.rows;
    const large = await ensureFixture(Math.ceil(((rowsAt + 100_000) * bytesPerRow) / MiB) * MiB);
    const big = await ingest(services, { kind: 'path', path: large.path }, { organization });
    const file = (await withTenant(pool, organization.id, (db) => getFile(db, big.fileId)))!;
    const pages: Record<string, { medianMs: number; maxMs: number; firstMs: number }> = {};
    for (const offset of [0, rowsAt]) {
      const times: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const started = performance.now();
        const page = await readRowsPage(pool, store, file, { offset, limit: 100 });
        times.push(performance.now() - started);
        if (page.rows.length !== 100) throw new Error(`page at ${offset} has ${page.rows.length} rows`);
      }
      const [first, ...rest] = times;
      pages[`offset ${offset}`] = { firstMs: first!, medianMs: median(rest), maxMs: Math.max(...rest) };
    }
    out.pages = { fixtureBytes: large.bytes, rows: big.rows, chunks: big.chunks, pages };
  } finally {
    await deleteOrganization(services, slug).catch(() => undefined);
    await dropBenchSchema(pool).catch(() => undefined);
    await services.close();
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await mkdir(resultsDir(), { recursive: true });
  await writeFile(
    join(resultsDir(), `read-back-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
    `${JSON.stringify(out, null, 2)}\n`,
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

main().catch((err) => {
  process.stderr.write(`bench read-back: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
