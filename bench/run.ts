/**
 * `npm run bench -- [flags]`: ingests deterministic fixtures end to end, races the baselines on the same
 * files in the same run, prints the tables, and writes bench/results/<date-time>.json.
 *
 * Order matters for honesty: fixtures are generated and the database is started (and timed separately)
 * before any ingest is timed, one small warm-up ingest starts the worker threads (a server keeps them),
 * and every timed run uses a fresh organization so dedup never short-cuts it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createPool } from '../src/db/index.js';
import { embeddedStatus } from '../src/embedded-postgres/index.js';
import { type IngestResult, ingest, openServices, type Services } from '../src/ingest/index.js';
import { LIMITS } from '../src/limits.js';
import {
  type BaselineResult,
  copyBaseline,
  createBenchSchema,
  dropBenchSchema,
  insertBaseline,
  psqlAvailable,
  psqlBaseline,
} from './baselines.js';
import { ensureFixture, type Fixture, parseSize, sizeLabel } from './generate-fixture.js';
import {
  DEFAULT_LOAD_OPTIONS,
  isRead,
  type LoadOptions,
  type LoadResults,
  meetsReadTarget,
  runLoad,
} from './load.js';
import { type Measurement, measure, medianBy, processMaxRss, RssSampler, time } from './measure.js';
import { type BenchOrganization, BenchOrganizations } from './organizations.js';
import { resultsDir } from './paths.js';
import {
  type BaselineRow,
  type BenchResults,
  baselineTable,
  compareLoadTable,
  compareTable,
  type DuplicateRow,
  formatMb,
  gzipTable,
  type IngestRow,
  ingestTable,
  loadTable,
  RESULTS_VERSION,
  readResults,
  relative,
  writeResults,
} from './report.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The product promise is 100 MB in under 30 s; CI fails past it, or past 512 MB RSS (issue 5). */
const CI_LIMITS = { seconds: 30, rssBytes: 512 * MiB } as const;
/** The reference size: the duplicate check, gzip levels and the INSERT slice use this fixture. */
const REFERENCE_BYTES = 100 * MiB;
/** Small enough to cost nothing, large enough to start every worker thread. */
const WARMUP_BYTES = 2 * MiB;

const HELP = `usage: npm run bench -- [flags]

Ingests generated CSV fixtures (10 MB and 100 MB; 1 GB with --large) end to end and races the
baselines on the same files. MB means 2^20 bytes. Results go to bench/results/<date-time>.json.

  --runs <n>            timed runs per fixture below 1 GB, median reported (default 3; 1 with --ci)
  --large               also ingest a 1 GB fixture (one run)
  --sizes <list>        fixture sizes instead of the defaults, e.g. 10MB,100MB
  --gzip-levels <list>  also ingest the 100 MB fixture at each gzip level, e.g. 1,6
  --threads <n>         worker threads (default: one per core, ${availableParallelism()} here)
  --chunk-size <size>   target raw chunk size (default ${LIMITS.chunkBytes.default / MiB} MB)
  --seed <n>            fixture generator seed (default 1)
  --insert-slice <size> slice of the file the naive INSERT baseline loads (default 10MB; 5MB with --ci)
  --skip-baselines      do not run the COPY / psql / INSERT baselines
  --compare <file>      print this run's ratio against an earlier results file
  --keep                keep the benchmark's organizations and files (default: removed at the end)
  --ci                  100 MB only, one run; exit 1 over ${CI_LIMITS.seconds} s or ${CI_LIMITS.rssBytes / MiB} MB peak RSS
  --load                the HTTP API under load instead of the ingest runs: \`ingest serve\` in a child process,
                        ${DEFAULT_LOAD_OPTIONS.readConnections} connections reading GET /v1/files/:id/metrics and GET /v1/files?limit=${DEFAULT_LOAD_OPTIONS.pageLimit} from an
                        organization of ${DEFAULT_LOAD_OPTIONS.seededFiles.toLocaleString('en-US')} files seeded in SQL (${DEFAULT_LOAD_OPTIONS.readSeconds} s each, as fast as answered, then
                        paced at ${DEFAULT_LOAD_OPTIONS.readRate} req/s), then ${DEFAULT_LOAD_OPTIONS.uploadConnections} connections
                        uploading distinct 1 MB CSV files (${DEFAULT_LOAD_OPTIONS.uploadSeconds} s); exit 1 on any non-2xx response
  --load-files <n>      files seeded for the read runs (default ${DEFAULT_LOAD_OPTIONS.seededFiles})
  --load-seconds <n>    seconds of each read run; uploads run 2 s longer (default ${DEFAULT_LOAD_OPTIONS.readSeconds})
  --load-rate <n>       requests per second of the paced read runs (default ${DEFAULT_LOAD_OPTIONS.readRate})
  -h, --help            this text

Environment: DATABASE_URL selects an external PostgreSQL; without it the embedded server is started
(and its start time printed). INGEST_HOME as for the CLI.
`;

interface Flags {
  sizes: number[];
  runs: number;
  gzipLevels: number[];
  threads: number;
  chunkBytes: number;
  seed: number;
  insertSliceBytes: number;
  baselines: boolean;
  compare: string | undefined;
  keep: boolean;
  ci: boolean;
  /** Set by --load: run the HTTP load benchmark instead of the ingest runs. */
  load: LoadOptions | null;
}

class UsageError extends Error {}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function size(name: string, text: string): number {
  try {
    return parseSize(text);
  } catch (err) {
    throw new UsageError(`${name}: ${(err as Error).message}`);
  }
}

function parseFlags(argv: string[]): Flags | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      large: { type: 'boolean', default: false },
      sizes: { type: 'string' },
      'gzip-levels': { type: 'string' },
      threads: { type: 'string' },
      'chunk-size': { type: 'string' },
      seed: { type: 'string', default: '1' },
      'insert-slice': { type: 'string' },
      'skip-baselines': { type: 'boolean', default: false },
      compare: { type: 'string' },
      keep: { type: 'boolean', default: false },
      ci: { type: 'boolean', default: false },
      load: { type: 'boolean', default: false },
      'load-files': { type: 'string' },
      'load-seconds': { type: 'string' },
      'load-rate': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const ci = values.ci;
  if (ci && values.load)
    throw new UsageError('--load and --ci cannot be combined (CI runs the ingest case only)');
  if (!values.load && (values['load-files'] || values['load-seconds'] || values['load-rate']))
    throw new UsageError('--load-files, --load-seconds and --load-rate need --load');
  const readSeconds = values['load-seconds']
    ? positiveInt('--load-seconds', values['load-seconds'])
    : DEFAULT_LOAD_OPTIONS.readSeconds;
  let sizes: number[];
  if (ci) sizes = [REFERENCE_BYTES];
  else if (values.sizes) sizes = values.sizes.split(',').map((s) => size('--sizes', s));
  else sizes = [10 * MiB, REFERENCE_BYTES];
  if (values.large && !ci && !sizes.includes(GiB)) sizes.push(GiB);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed))
    throw new UsageError(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  const gzipLevels = (values['gzip-levels'] ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const level = positiveInt('--gzip-levels', s.trim());
      if (level > LIMITS.gzipLevel.max) throw new UsageError(`--gzip-levels must be 1-9, got ${level}`);
      return level;
    });
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    runs: values.runs ? positiveInt('--runs', values.runs) : ci ? 1 : 3,
    gzipLevels,
    threads: values.threads ? positiveInt('--threads', values.threads) : availableParallelism(),
    chunkBytes: values['chunk-size'] ? size('--chunk-size', values['chunk-size']) : LIMITS.chunkBytes.default,
    seed,
    insertSliceBytes: values['insert-slice']
      ? size('--insert-slice', values['insert-slice'])
      : ci
        ? 5 * MiB
        : 10 * MiB,
    baselines: !values['skip-baselines'],
    compare: values.compare,
    keep: values.keep,
    ci,
    load: values.load
      ? {
          ...DEFAULT_LOAD_OPTIONS,
          seed,
          readSeconds,
          uploadSeconds: readSeconds + 2,
          readRate: values['load-rate']
            ? positiveInt('--load-rate', values['load-rate'])
            : DEFAULT_LOAD_OPTIONS.readRate,
          seededFiles: values['load-files']
            ? positiveInt('--load-files', values['load-files'])
            : DEFAULT_LOAD_OPTIONS.seededFiles,
        }
      : null,
  };
}

/** Progress goes to stderr so stdout holds only the tables. */
function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  let text = `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
  if (err.cause instanceof Error && !text.includes(err.cause.message))
    text += ` (cause: ${describeError(err.cause)})`;
  return text;
}

class Bench {
  readonly sampler = new RssSampler();
  readonly rows: IngestRow[] = [];
  gzipLevelRows: IngestRow[] = [];
  readonly baselineRows: BaselineRow[] = [];
  duplicate: DuplicateRow | null = null;

  constructor(
    private readonly flags: Flags,
    private readonly services: Services,
    private readonly orgs: BenchOrganizations,
  ) {}

  private async ingestOnce(
    fixture: Fixture,
    org: BenchOrganization,
    gzipLevel: number,
  ): Promise<Measurement<IngestResult>> {
    return measure(this.sampler, () =>
      ingest(
        this.services,
        { kind: 'path', path: fixture.path },
        { organization: org, chunkBytes: this.flags.chunkBytes, gzipLevel, actor: { name: 'bench' } },
      ),
    );
  }

  /** One timed ingest into a fresh organization, checked: a fresh organization never sees a duplicate. */
  async timedRun(
    fixture: Fixture,
    sizeBytes: number,
    gzipLevel: number,
    run: string,
  ): Promise<{ measurement: Measurement<IngestResult>; org: BenchOrganization }> {
    const label = sizeLabel(sizeBytes);
    const org = await this.orgs.create(`${label.toLowerCase()}-g${gzipLevel}`);
    const m = await this.ingestOnce(fixture, org, gzipLevel);
    if (m.value.duplicate)
      throw new Error(`ingest of ${label} into a fresh organization answered duplicate: true`);
    if (m.value.rows !== fixture.rows) {
      throw new Error(`ingest of ${label} counted ${m.value.rows} rows, the fixture has ${fixture.rows}`);
    }
    note(
      `  ${label} gzip ${gzipLevel} run ${run}: ${m.seconds.toFixed(2)} s, ${(fixture.bytes / MiB / m.seconds).toFixed(1)} MB/s, peak RSS ${formatMb(m.peakRssBytes)}`,
    );
    return { measurement: m, org };
  }

  /** `runs` timed ingests of one fixture; the row carries the median run's figures. */
  async ingestRow(
    fixture: Fixture,
    sizeBytes: number,
    runs: number,
    gzipLevel: number,
  ): Promise<{ row: IngestRow; lastOrg: BenchOrganization }> {
    const measurements: Measurement<IngestResult>[] = [];
    let lastOrg: BenchOrganization | undefined;
    for (let i = 0; i < runs; i++) {
      const { measurement, org } = await this.timedRun(fixture, sizeBytes, gzipLevel, `${i + 1}/${runs}`);
      measurements.push(measurement);
      lastOrg = org;
    }
    return { row: toRow(fixture, sizeBytes, gzipLevel, measurements), lastOrg: lastOrg! };
  }

  /**
   * The reference fixture at each gzip level. Runs are interleaved (1, 6, 1, 6, ...) so that a noisy
   * neighbour or a checkpoint slows every level alike instead of whichever level ran at the time.
   */
  async gzipRows(fixture: Fixture, sizeBytes: number, runs: number, levels: number[]): Promise<IngestRow[]> {
    const byLevel = new Map<number, Measurement<IngestResult>[]>(levels.map((l) => [l, []]));
    for (let i = 0; i < runs; i++) {
      for (const level of levels) {
        const { measurement } = await this.timedRun(fixture, sizeBytes, level, `${i + 1}/${runs}`);
        byLevel.get(level)!.push(measurement);
      }
    }
    return levels.map((level) => toRow(fixture, sizeBytes, level, byLevel.get(level)!));
  }

  /** The same bytes again into the same organization: hash + dedup lookup only. */
  async duplicateRow(
    fixture: Fixture,
    sizeBytes: number,
    org: BenchOrganization,
    gzipLevel: number,
  ): Promise<DuplicateRow> {
    const m = await this.ingestOnce(fixture, org, gzipLevel);
    note(
      `  ${sizeLabel(sizeBytes)} duplicate upload: ${m.seconds.toFixed(2)} s (duplicate: ${m.value.duplicate})`,
    );
    return { label: sizeLabel(sizeBytes), seconds: m.seconds, duplicate: m.value.duplicate };
  }

  async baselines(
    admin: pg.Pool,
    connectionString: string,
    fixtures: Map<number, Fixture>,
    reference: number,
  ): Promise<void> {
    const hasPsql = await psqlAvailable();
    if (!hasPsql) note('  psql is not on PATH: the psql \\copy baseline is skipped');
    await createBenchSchema(admin);
    try {
      const referenceFixture = fixtures.get(reference)!;
      const slice = Math.min(this.flags.insertSliceBytes, referenceFixture.bytes);
      const insert = await insertBaseline(admin, referenceFixture, slice);
      note(
        `  INSERT loop on a ${formatMb(insert.slice!.bytes)} slice (${insert.slice!.rows} rows): ${insert.slice!.seconds.toFixed(2)} s`,
      );
      for (const [sizeBytes, fixture] of fixtures) {
        const row = this.rows.find((r) => r.sizeBytes === sizeBytes);
        if (!row) continue;
        const results: BaselineResult[] = [];
        results.push(await copyBaseline(admin, fixture));
        if (hasPsql) results.push(await psqlBaseline(admin, connectionString, fixture));
        // Linear by construction (batches of equal size, one after another): scale by bytes.
        const scale = fixture.bytes / insert.slice!.bytes;
        results.push({
          ...insert,
          seconds: insert.slice!.seconds * scale,
          bytes: fixture.bytes,
          rows: Math.round(insert.slice!.rows * scale),
        });
        for (const b of results) note(`  ${row.label} ${b.label}: ${b.seconds.toFixed(2)} s`);
        this.baselineRows.push({
          label: row.label,
          bytes: fixture.bytes,
          ingestSeconds: row.seconds,
          results,
        });
      }
    } finally {
      await dropBenchSchema(admin);
    }
  }
}

/** A row from several runs of one configuration: the median run's figures, the worst RSS of any run. */
function toRow(
  fixture: Fixture,
  sizeBytes: number,
  gzipLevel: number,
  measurements: Measurement<IngestResult>[],
): IngestRow {
  const median = medianBy(measurements);
  const r = median.value;
  return {
    label: sizeLabel(sizeBytes),
    sizeBytes,
    bytes: fixture.bytes,
    rows: r.rows,
    gzipLevel,
    runSeconds: measurements.map((m) => m.seconds),
    seconds: median.seconds,
    mbPerSecond: fixture.bytes / MiB / median.seconds,
    rowsPerSecond: r.rows / median.seconds,
    cpuPercent: median.cpuPercent,
    peakRssBytes: Math.max(...measurements.map((m) => m.peakRssBytes)),
    maxRssBytes: processMaxRss(),
    storedBytes: r.storedBytes,
    storedRatio: r.storedBytes / r.bytes,
    chunks: r.chunks,
  };
}

async function main(argv: string[]): Promise<number> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  const startedAt = new Date();
  const errors: string[] = [];
  const config = loadConfig();
  const reference = flags.sizes.includes(REFERENCE_BYTES)
    ? REFERENCE_BYTES
    : flags.sizes[flags.sizes.length - 1]!;
  const defaultGzip = LIMITS.gzipLevel.default;

  const fixtures = new Map<number, Fixture>();
  if (!flags.load) note(`generating fixtures (seed ${flags.seed})...`);
  for (const sizeBytes of flags.load ? [] : flags.sizes) {
    const { value, seconds } = await time(() => ensureFixture(sizeBytes, flags.seed));
    fixtures.set(sizeBytes, value);
    note(
      `  ${sizeLabel(sizeBytes)}: ${value.rows.toLocaleString('en-US')} rows, ${value.bytes} bytes (${seconds.toFixed(2)} s)`,
    );
  }

  // The database must be up before anything is timed; its start is reported on its own line.
  const databaseState = config.databaseUrl
    ? 'external database (DATABASE_URL)'
    : await embeddedState(config.home);
  note(`opening services: ${databaseState}...`);
  const opened = await time(() => openServices(config, { threads: flags.threads }));
  const services = opened.value;
  const admin = createPool(services.database.connectionString, { max: 2 });
  const orgs = new BenchOrganizations(services, admin);
  const runner = new Bench(flags, services, orgs);
  runner.sampler.start();
  let serverVersion = 'unknown';
  let warmupSeconds = 0;
  let load: LoadResults | null = null;
  try {
    serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!
      .server_version;
    if (flags.load) {
      load = await runLoad({ services, admin, orgs, note }, flags.load);
      for (const row of load.rows)
        if (row.errors > 0)
          errors.push(
            `${row.name}: ${row.errors} failed requests (status counts ${JSON.stringify(row.statusCounts)})`,
          );
    } else {
      const warmupFixture = await ensureFixture(WARMUP_BYTES, flags.seed);
      const warm = await time(async () =>
        ingest(
          services,
          { kind: 'path', path: warmupFixture.path },
          { organization: await orgs.create('warmup') },
        ),
      );
      warmupSeconds = warm.seconds;
      note(
        `warm-up ingest (${formatMb(warmupFixture.bytes)}, starts ${flags.threads} worker threads): ${warmupSeconds.toFixed(2)} s`,
      );

      for (const sizeBytes of flags.sizes) {
        const fixture = fixtures.get(sizeBytes)!;
        const runs = sizeBytes >= GiB ? 1 : flags.runs;
        note(`ingesting ${sizeLabel(sizeBytes)} (${runs} run${runs === 1 ? '' : 's'})...`);
        const { row, lastOrg } = await runner.ingestRow(fixture, sizeBytes, runs, defaultGzip);
        runner.rows.push(row);
        if (sizeBytes === reference)
          runner.duplicate = await runner.duplicateRow(fixture, sizeBytes, lastOrg, defaultGzip);
      }
      if (flags.gzipLevels.length > 0) {
        note(
          `ingesting ${sizeLabel(reference)} at gzip levels ${flags.gzipLevels.join(', ')} (interleaved)...`,
        );
        runner.gzipLevelRows = await runner.gzipRows(
          fixtures.get(reference)!,
          reference,
          flags.runs,
          flags.gzipLevels,
        );
      }
      if (flags.baselines) {
        note('baselines...');
        await runner.baselines(admin, services.database.connectionString, fixtures, reference);
      }
    }
  } catch (err) {
    errors.push(describeError(err));
    process.stderr.write(`bench: ${describeError(err)}\n`);
    if (process.env.BENCH_VERBOSE && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  } finally {
    if (flags.keep) note(`kept the benchmark organizations (${orgs.prefix}-*)`);
    else
      await orgs
        .removeAll()
        .catch((err: unknown) => note(`could not remove benchmark organizations: ${describeError(err)}`));
    await admin.end();
    await services.close();
    runner.sampler.stop();
  }

  const results: BenchResults = {
    version: RESULTS_VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    argv,
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryBytes: totalmem(),
      platform: process.platform,
      arch: process.arch,
      node: process.version,
    },
    database: {
      mode: services.database.embedded ? 'embedded' : 'external',
      state: databaseState,
      startSeconds: services.database.embedded ? opened.seconds : null,
      serverVersion,
    },
    settings: {
      threads: flags.threads,
      chunkBytes: flags.chunkBytes,
      gzipLevel: defaultGzip,
      runs: flags.runs,
      seed: flags.seed,
      ci: flags.ci,
    },
    warmupSeconds,
    rows: runner.rows,
    duplicate: runner.duplicate,
    gzipLevels: runner.gzipLevelRows,
    baselines: runner.baselineRows,
    ci: null,
    load,
    errors,
  };
  if (flags.ci)
    results.ci = {
      maxSeconds: CI_LIMITS.seconds,
      maxRssBytes: CI_LIMITS.rssBytes,
      failures: ciFailures(results),
    };

  print(results, opened.seconds);
  const path = await writeResults(resultsDir(), results);
  process.stdout.write(`\nresults: ${path}\n`);
  if (flags.compare) {
    try {
      const earlier = await readResults(flags.compare);
      process.stdout.write(
        `\ncompared with ${flags.compare} (${earlier.startedAt}, ${earlier.database.mode} database):\n`,
      );
      // A --load run has no ingest rows to compare; an earlier run without a load section, no load rows.
      if (results.rows.length + results.gzipLevels.length + results.baselines.length > 0 || results.duplicate)
        process.stdout.write(`${compareTable(results, earlier)}\n`);
      const loadComparison = compareLoadTable(results, earlier);
      if (loadComparison) process.stdout.write(`${loadComparison}\n`);
      else if (results.load) process.stdout.write(`${flags.compare} has no load section to compare with\n`);
    } catch (err) {
      process.stderr.write(`bench: --compare: ${describeError(err)}\n`);
      return 2;
    }
  }
  if (results.ci && results.ci.failures.length > 0) {
    for (const failure of results.ci.failures) process.stdout.write(`CI LIMIT EXCEEDED: ${failure}\n`);
    return 1;
  }
  if (results.ci)
    process.stdout.write(
      `CI limits met (<= ${CI_LIMITS.seconds} s, <= ${CI_LIMITS.rssBytes / MiB} MB peak RSS)\n`,
    );
  return errors.length > 0 ? 1 : 0;
}

/** Whether opening services will start the embedded server, and whether it must initdb first. */
async function embeddedState(home: string): Promise<string> {
  try {
    const status = await embeddedStatus(home);
    if (status.running) return 'embedded server already running (reused, not started)';
    return existsSync(join(status.dataDir, 'PG_VERSION'))
      ? 'embedded server start'
      : 'embedded server cold start (initdb)';
  } catch {
    return 'embedded server start';
  }
}

function ciFailures(results: BenchResults): string[] {
  const failures = results.errors.map((e) => `the benchmark failed: ${e}`);
  const row = results.rows.find((r) => r.sizeBytes === REFERENCE_BYTES);
  if (!row) {
    if (results.errors.length === 0) failures.push('no 100MB result');
    return failures;
  }
  if (row.seconds > CI_LIMITS.seconds)
    failures.push(`100MB ingest took ${row.seconds.toFixed(2)} s, over the ${CI_LIMITS.seconds} s limit`);
  const rss = Math.max(row.peakRssBytes, row.maxRssBytes);
  if (rss > CI_LIMITS.rssBytes)
    failures.push(`peak RSS ${formatMb(rss)} is over the ${CI_LIMITS.rssBytes / MiB} MB limit`);
  if (results.duplicate && !results.duplicate.duplicate)
    failures.push('the second upload of the same file was not recognised as a duplicate');
  return failures;
}

function print(results: BenchResults, openSeconds: number): void {
  const m = results.machine;
  const out: string[] = [];
  out.push('');
  out.push(
    `machine: ${m.cpus} cores (${m.cpuModel}), ${formatMb(m.totalMemoryBytes)} RAM, node ${m.node}, ${m.platform}/${m.arch}`,
  );
  out.push(
    results.database.mode === 'embedded'
      ? `database: embedded PostgreSQL ${results.database.serverVersion}, ${results.database.state}: ${openSeconds.toFixed(2)} s incl. migrations (not in any figure below)`
      : `database: external database (DATABASE_URL), PostgreSQL ${results.database.serverVersion}; open + migrations: ${openSeconds.toFixed(2)} s`,
  );
  if (results.load) {
    printLoad(out, results.load);
    for (const e of results.errors) out.push(`ERROR: ${e}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return;
  }
  const s = results.settings;
  out.push(
    `settings: ${s.threads} worker threads, chunk ${formatMb(s.chunkBytes)}, gzip level ${s.gzipLevel}, median of ${s.runs} run(s) below 1GB`,
  );
  out.push(
    'CPU = user+system of this process (workers included, PostgreSQL not) / wall / cores. peak RSS sampled every 20 ms; maxRSS = kernel peak so far.',
  );
  out.push('');
  out.push(ingestTable(results.rows));
  // Issue 5 wants cost linear in size and memory flat: say so per step instead of leaving the division to the reader.
  for (let i = 1; i < results.rows.length; i++) {
    const a = results.rows[i - 1]!;
    const b = results.rows[i]!;
    out.push(
      `scaling ${a.label} -> ${b.label}: ${(b.bytes / a.bytes).toFixed(1)}x the bytes took ${(b.seconds / a.seconds).toFixed(1)}x the time; peak RSS ${formatMb(a.peakRssBytes)} -> ${formatMb(b.peakRssBytes)}`,
    );
  }
  if (results.duplicate) {
    out.push('');
    out.push(
      `duplicate ${results.duplicate.label} upload (same file, same organization): ${results.duplicate.seconds.toFixed(2)} s, duplicate: ${results.duplicate.duplicate}`,
    );
  }
  if (results.gzipLevels.length > 0) {
    out.push('');
    out.push(gzipTable(results.gzipLevels));
  }
  if (results.baselines.length > 0) {
    out.push('');
    out.push(baselineTable(results.baselines));
    out.push('');
    for (const row of results.baselines) {
      for (const b of row.results)
        out.push(`${row.label}: ingest is ${relative(row.ingestSeconds, b.seconds)} ${b.label}`);
    }
  }
  for (const e of results.errors) out.push(`ERROR: ${e}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function printLoad(out: string[], load: LoadResults): void {
  const o = load.options;
  out.push(
    `server: ingest serve in a child process (log level ${load.server.logLevel}, peak RSS ${load.server.peakRssBytes === null ? 'n/a' : formatMb(load.server.peakRssBytes)}); load generators in this process: autocannon (offered "max": each connection sends as soon as answered) and an open-loop pacer (offered n/s, evenly spread over all connections)`,
  );
  out.push(
    `reads: ${load.seeded.files.toLocaleString('en-US')} ready files seeded in SQL with ${load.seeded.metricRows.toLocaleString('en-US')} metric rows (${load.seeded.seconds.toFixed(1)} s); uploads: distinct ${formatMb(load.uploadBodyBytes)} CSV bodies, ${load.uploadsStored} stored`,
  );
  out.push(
    'latency = request written (paced: request due) to response read, answered requests only; unanswered = still in flight when the run ended; server CPU = user+system of the server process / wall / cores; load avg = 1-minute, start -> end of the run.',
  );
  out.push('');
  out.push(loadTable(load.firstReads ? [load.firstReads, ...load.rows] : load.rows));
  out.push('');
  if (load.firstReads) {
    out.push(
      `first row: every seeded file's metrics read once (from the database; the server then keeps them), not a target run; the target runs below it read a warm cache.`,
    );
    out.push('');
  }
  if (load.ceilings && load.ceilings.length > 0) {
    out.push(
      "The machine ceiling: the same saturated reads against a plain node:http server answering a real answer's bytes, with no routing, authentication, cache or logging (bench/constant-server.ts):",
    );
    out.push('');
    out.push(loadTable(load.ceilings));
    out.push('');
  }
  const target = load.readP99TargetMs;
  const saturated = load.rows.filter((r) => isRead(r) && r.rate === null);
  for (const row of load.rows.filter(isRead)) {
    const how = row.rate === null ? 'saturated' : `paced at ${row.rate} req/s`;
    const ok = meetsReadTarget(row);
    // The ceiling runs follow the saturated runs' order (metrics, then the listing).
    const ceiling = row.rate === null ? load.ceilings?.[saturated.indexOf(row)] : undefined;
    const beside = ceiling ? `; plain node:http with the same answer: p99 ${ceiling.p99Ms} ms` : '';
    out.push(
      `${ok ? 'target met   ' : 'target MISSED'}: ${row.name}, ${o.readConnections} connections, ${how}: p99 ${row.p99Ms} ms (dashboard target < ${target} ms${beside})`,
    );
  }
  out.push(
    `A saturated closed loop of ${o.readConnections} connections waits ${o.readConnections} / (req/s) on average (Little's law): p99 < ${target} ms there needs over ${Math.round((o.readConnections * 1000) / target).toLocaleString('en-US')} req/s.`,
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${describeError(err)}\n`);
    if (err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
