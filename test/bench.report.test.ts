import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOAD_OPTIONS, type LoadResults, type LoadRow } from '../bench/load.js';
import { medianBy } from '../bench/measure.js';
import {
  type BenchResults,
  compareLoadTable,
  compareTable,
  formatTable,
  type IngestRow,
  RESULTS_VERSION,
  readResults,
  relative,
  resultsFileName,
  writeResults,
} from '../bench/report.js';

const MiB = 1024 * 1024;

function row(seconds: number, overrides: Partial<IngestRow> = {}): IngestRow {
  return {
    label: '100MB',
    sizeBytes: 100 * MiB,
    bytes: 100 * MiB,
    rows: 350_000,
    gzipLevel: 1,
    runSeconds: [seconds],
    seconds,
    mbPerSecond: 100 / seconds,
    rowsPerSecond: 350_000 / seconds,
    cpuPercent: 80,
    peakRssBytes: 200 * MiB,
    maxRssBytes: 210 * MiB,
    storedBytes: 30 * MiB,
    storedRatio: 0.3,
    chunks: 100,
    ...overrides,
  };
}

function results(rows: IngestRow[]): BenchResults {
  return {
    version: RESULTS_VERSION,
    startedAt: '2025-01-31T12:00:00.123Z',
    finishedAt: '2025-01-31T12:01:00.000Z',
    argv: [],
    machine: { cpus: 2, cpuModel: 'test', totalMemoryBytes: 1, platform: 'linux', arch: 'x64', node: 'v20' },
    database: { mode: 'external', state: 'external', startSeconds: null, serverVersion: '15' },
    settings: { threads: 2, chunkBytes: MiB, gzipLevel: 1, runs: 1, seed: 1, ci: false },
    warmupSeconds: 0,
    rows,
    duplicate: null,
    gzipLevels: [],
    baselines: [],
    ci: null,
    errors: [],
  };
}

describe('bench report', () => {
  it('takes the middle run, and the slower middle for an even count', () => {
    expect(medianBy([{ seconds: 3 }, { seconds: 1 }, { seconds: 2 }]).seconds).toBe(2);
    expect(medianBy([{ seconds: 1 }, { seconds: 4 }]).seconds).toBe(4);
  });

  it('says ratios in the direction a reader expects', () => {
    expect(relative(2, 10)).toBe('5.0x faster than');
    expect(relative(3, 1.5)).toBe('2.0x slower than');
  });

  it('names result files by a sortable time without colons', () => {
    expect(resultsFileName(new Date('2025-01-31T12:00:00.123Z'))).toBe('2025-01-31T12-00-00Z.json');
  });

  it('aligns tables', () => {
    const lines = formatTable(
      ['a', 'bb'],
      [
        ['x', '1'],
        ['yyy', '22'],
      ],
    ).split('\n');
    expect(lines).toEqual(['| a   | bb |', '| --- | -: |', '| x   |  1 |', '| yyy | 22 |']);
  });

  it('writes results that --compare reads back, and compares matching rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    try {
      const path = await writeResults(dir, results([row(4)]));
      expect(path.endsWith('2025-01-31T12-00-00Z.json')).toBe(true);
      const earlier = await readResults(path);
      const table = compareTable(results([row(2), row(1, { sizeBytes: 10 * MiB, label: '10MB' })]), earlier);
      expect(table).toMatch(/100MB .*2\.00 .*4\.00 .*0\.50x \(better\)/);
      expect(table).toMatch(/10MB .*no earlier row/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bench report, load section', () => {
  const loadRow = (p99Ms: number, rate: number | null): LoadRow => ({
    name: 'GET /v1/files',
    connections: 1000,
    rate,
    seconds: 10,
    responses: 1000,
    unanswered: 0,
    requestsPerSecond: 100,
    mbPerSecond: null,
    p50Ms: 5,
    p99Ms,
    maxMs: p99Ms,
    errors: 0,
    non2xx: 0,
    statusCounts: { '200': 1000 },
    serverCpuPercent: 20,
    loadAverage: [1, 1],
  });
  const load = (rows: LoadRow[]): LoadResults => ({
    options: DEFAULT_LOAD_OPTIONS,
    server: { mode: 'child process', logLevel: 'info', peakRssBytes: null },
    seeded: { files: 10, metricRows: 1070, seconds: 1 },
    uploadBodyBytes: MiB,
    uploadsStored: 0,
    rows,
    readP99TargetMs: 100,
    readTargetMet: false,
    pacedReadTargetMet: true,
  });

  it('compares load runs by endpoint and pacing, and gives nothing when either run has no load section', () => {
    const now = { ...results([]), load: load([loadRow(50, null), loadRow(20, 300)]) };
    const then = { ...results([]), load: load([loadRow(20, 300), loadRow(100, null)]) };
    const table = compareLoadTable(now, then)!;
    expect(table).toContain('GET /v1/files (max)');
    expect(table).toMatch(/\(max\)\s+\|\s+50 \|\s+100 \| 0\.50x \(better\)/);
    expect(table).toMatch(/\(300\/s\)\s+\|\s+20 \|\s+20 \|\s+1\.00x \(same\)/);
    // Results written before the load benchmark existed have no `load` key at all.
    expect(compareLoadTable(now, results([]))).toBeNull();
    expect(compareLoadTable(results([]), then)).toBeNull();
  });
});
