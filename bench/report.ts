/**
 * The benchmark's result shapes, its printed tables, the JSON file each run leaves in bench/results,
 * and the comparison against an earlier one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BaselineResult } from './baselines.js';
import type { LoadResults, LoadRow } from './load.js';

/** Bumped when the JSON layout changes incompatibly, so --compare can refuse what it cannot read. */
export const RESULTS_VERSION = 1;
const MiB = 1024 * 1024;

/** One fixture ingested end to end, possibly several times (then the figures are the median run's). */
export interface IngestRow {
  label: string;
  sizeBytes: number;
  bytes: number;
  rows: number;
  gzipLevel: number;
  /** Seconds of every run, in run order. */
  runSeconds: number[];
  /** The median run's figures. */
  seconds: number;
  mbPerSecond: number;
  rowsPerSecond: number;
  cpuPercent: number;
  /** Highest sampled RSS over all runs of this row. */
  peakRssBytes: number;
  /** The process's kernel-reported peak RSS when the row finished. */
  maxRssBytes: number;
  storedBytes: number;
  storedRatio: number;
  chunks: number;
}

export interface DuplicateRow {
  label: string;
  seconds: number;
  /** The pipeline's answer; false would mean dedup did not recognise the file. */
  duplicate: boolean;
}

export interface BaselineRow {
  label: string;
  bytes: number;
  ingestSeconds: number;
  results: BaselineResult[];
}

export interface BenchResults {
  version: number;
  startedAt: string;
  finishedAt: string;
  argv: string[];
  machine: {
    cpus: number;
    cpuModel: string;
    totalMemoryBytes: number;
    platform: string;
    arch: string;
    node: string;
  };
  database: {
    mode: 'embedded' | 'external';
    /** Started cold, started, reused, or external: what startSeconds measured. */
    state: string;
    startSeconds: number | null;
    serverVersion: string;
  };
  settings: {
    threads: number;
    chunkBytes: number;
    gzipLevel: number;
    runs: number;
    seed: number;
    ci: boolean;
  };
  warmupSeconds: number;
  rows: IngestRow[];
  duplicate: DuplicateRow | null;
  gzipLevels: IngestRow[];
  baselines: BaselineRow[];
  ci: { maxSeconds: number; maxRssBytes: number; failures: string[] } | null;
  /** The HTTP load benchmark (`--load`); absent in results written before it existed. */
  load?: LoadResults | null;
  errors: string[];
}

export function formatMb(bytes: number): string {
  const mb = bytes / MiB;
  return `${mb >= 100 ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}

function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Left-aligned first column, right-aligned numbers, `|` separated: readable in a terminal and in markdown. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function ingestTable(rows: IngestRow[]): string {
  return formatTable(
    [
      'size',
      'rows',
      'seconds',
      'MB/s',
      'rows/s',
      'CPU',
      'peak RSS',
      'maxRSS',
      'stored/raw',
      'gzip',
      'runs (s)',
    ],
    rows.map((r) => [
      r.label,
      formatInt(r.rows),
      r.seconds.toFixed(2),
      (r.bytes / MiB / r.seconds).toFixed(1),
      formatInt(r.rowsPerSecond),
      `${r.cpuPercent.toFixed(0)}%`,
      formatMb(r.peakRssBytes),
      formatMb(r.maxRssBytes),
      r.storedRatio.toFixed(3),
      String(r.gzipLevel),
      r.runSeconds.map((s) => s.toFixed(2)).join(' '),
    ]),
  );
}

export function gzipTable(rows: IngestRow[]): string {
  return formatTable(
    ['gzip level', 'seconds', 'MB/s', 'CPU', 'stored/raw', 'stored'],
    rows.map((r) => [
      `${r.label} level ${r.gzipLevel}`,
      r.seconds.toFixed(2),
      (r.bytes / MiB / r.seconds).toFixed(1),
      `${r.cpuPercent.toFixed(0)}%`,
      r.storedRatio.toFixed(3),
      formatMb(r.storedBytes),
    ]),
  );
}

/** "2.5x faster than" / "1.8x slower than": a ratio a reader does not have to invert. */
export function relative(ingestSeconds: number, otherSeconds: number): string {
  if (ingestSeconds <= otherSeconds) return `${(otherSeconds / ingestSeconds).toFixed(1)}x faster than`;
  return `${(ingestSeconds / otherSeconds).toFixed(1)}x slower than`;
}

export function baselineTable(rows: BaselineRow[]): string {
  const body: string[][] = [];
  for (const row of rows) {
    body.push([
      `${row.label} ingest (this run)`,
      row.ingestSeconds.toFixed(2),
      (row.bytes / MiB / row.ingestSeconds).toFixed(1),
      '',
    ]);
    for (const b of row.results) {
      body.push([
        `${row.label} ${b.label}`,
        b.seconds.toFixed(2),
        (b.bytes / MiB / b.seconds).toFixed(1),
        `ingest is ${relative(row.ingestSeconds, b.seconds)} this`,
      ]);
    }
  }
  return formatTable(['baseline', 'seconds', 'MB/s', 'ratio'], body);
}

/** One line per autocannon run: throughput, latency percentiles, errors, server CPU and load average. */
export function loadTable(rows: LoadRow[]): string {
  return formatTable(
    [
      'endpoint',
      'conns',
      'offered',
      'seconds',
      'responses',
      'unanswered',
      'req/s',
      'MB/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'errors',
      'server CPU',
      'load avg',
    ],
    rows.map((r) => [
      r.name,
      String(r.connections),
      r.rate === null ? 'max' : `${r.rate}/s`,
      r.seconds.toFixed(1),
      String(r.responses),
      String(r.unanswered),
      r.requestsPerSecond.toFixed(r.requestsPerSecond < 100 ? 1 : 0),
      r.mbPerSecond === null ? '' : r.mbPerSecond.toFixed(1),
      String(r.p50Ms),
      String(r.p99Ms),
      String(r.maxMs),
      String(r.errors),
      r.serverCpuPercent === null ? 'n/a' : `${r.serverCpuPercent.toFixed(0)}%`,
      `${r.loadAverage[0].toFixed(2)} -> ${r.loadAverage[1].toFixed(2)}`,
    ]),
  );
}

/** `bench/results/2025-01-31T12-00-00Z.json`: sortable, and free of ':' for filesystems that refuse it. */
export function resultsFileName(date: Date): string {
  return `${date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-')}.json`;
}

export async function writeResults(dir: string, results: BenchResults): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, resultsFileName(new Date(results.startedAt)));
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, path);
  return path;
}

export async function readResults(path: string): Promise<BenchResults> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<BenchResults>;
  if (parsed.version !== RESULTS_VERSION || !Array.isArray(parsed.rows)) {
    throw new Error(`${path} is not a bench results file of version ${RESULTS_VERSION}`);
  }
  return parsed as BenchResults;
}

/** now / then, said in words: "1.25x slower", "0.80x (faster)". */
function change(now: number, then: number, lowerIsBetter: boolean): string {
  if (then === 0 || now === 0) return 'n/a';
  const ratio = now / then;
  const better = lowerIsBetter ? ratio < 1 : ratio > 1;
  if (Math.abs(ratio - 1) < 0.02) return `${ratio.toFixed(2)}x (same)`;
  return `${ratio.toFixed(2)}x (${better ? 'better' : 'worse'})`;
}

/** Per row of this run, the ratio against the matching row (same size and gzip level) of an earlier run. */
export function compareTable(now: BenchResults, then: BenchResults): string {
  const body: string[][] = [];
  const match = (list: IngestRow[], row: IngestRow) =>
    list.find((r) => r.sizeBytes === row.sizeBytes && r.gzipLevel === row.gzipLevel);
  const add = (name: string, row: IngestRow, old: IngestRow | undefined) => {
    if (!old) {
      body.push([name, row.seconds.toFixed(2), '-', 'no earlier row', '', '', '']);
      return;
    }
    body.push([
      name,
      row.seconds.toFixed(2),
      old.seconds.toFixed(2),
      change(row.seconds, old.seconds, true),
      change(row.mbPerSecond, old.mbPerSecond, false),
      change(Math.max(row.peakRssBytes, row.maxRssBytes), Math.max(old.peakRssBytes, old.maxRssBytes), true),
      change(row.storedRatio, old.storedRatio, true),
    ]);
  };
  for (const row of now.rows) add(row.label, row, match(then.rows, row));
  for (const row of now.gzipLevels)
    add(`${row.label} gzip ${row.gzipLevel}`, row, match(then.gzipLevels, row));
  if (now.duplicate) {
    const old = then.duplicate;
    body.push([
      `${now.duplicate.label} duplicate`,
      now.duplicate.seconds.toFixed(2),
      old ? old.seconds.toFixed(2) : '-',
      old ? change(now.duplicate.seconds, old.seconds, true) : 'no earlier row',
      '',
      '',
      '',
    ]);
  }
  for (const row of now.baselines) {
    const oldRow = then.baselines.find((b) => b.bytes === row.bytes);
    for (const b of row.results) {
      const old = oldRow?.results.find((o) => o.name === b.name);
      body.push([
        `${row.label} ${b.name} baseline`,
        b.seconds.toFixed(2),
        old ? old.seconds.toFixed(2) : '-',
        old ? change(b.seconds, old.seconds, true) : 'no earlier row',
        '',
        '',
        '',
      ]);
    }
  }
  return formatTable(
    ['row', 'seconds now', 'then', 'time now/then', 'MB/s now/then', 'RSS now/then', 'stored now/then'],
    body,
  );
}

/** Per load run of this run, p99 and req/s against the same endpoint in an earlier run; null if either has no load section. */
export function compareLoadTable(now: BenchResults, then: BenchResults): string | null {
  if (!now.load || !then.load) return null;
  const body = now.load.rows.map((row) => {
    const old = then.load?.rows.find(
      (r) => r.name === row.name && r.connections === row.connections && (r.rate ?? null) === row.rate,
    );
    return [
      `${row.name} (${row.rate === null ? 'max' : `${row.rate}/s`})`,
      String(row.p99Ms),
      old ? String(old.p99Ms) : '-',
      old ? change(row.p99Ms, old.p99Ms, true) : 'no earlier row',
      old ? change(row.requestsPerSecond, old.requestsPerSecond, false) : '',
    ];
  });
  return formatTable(['load run', 'p99 ms now', 'then', 'p99 now/then', 'req/s now/then'], body);
}
