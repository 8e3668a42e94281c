import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { registerQueueBacklog } from '../src/telemetry/index.js';
import { json, startTestServer, type TestServer } from './support/server.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/** One sample of the Prometheus text format: `name{label="v",...} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (comments skipped), checking every line is well formed. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1]!] = pair[2]!;
    // Go's ParseFloat, which Prometheus uses: also NaN and [+-]Inf in any case.
    const text = match[3]!;
    const special = /^([+-]?)inf$/i.exec(text);
    const value = special
      ? special[1] === '-'
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY
      : /^nan$/i.test(text)
        ? Number.NaN
        : Number(text);
    if (Number.isNaN(value) && !/^nan$/i.test(text)) throw new Error(`not a number: ${JSON.stringify(line)}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, types };
}

/** The value of a sample, 0 when absent (a labelled counter appears once incremented). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value ?? 0;
}

let t: TestServer;
let metricsUrl: string;

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string>; text: string }> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { ...parseExposition(text), text };
}

beforeAll(async () => {
  t = await startTestServer({ metrics: { port: 0, host: '127.0.0.1', token: TOKEN } });
  metricsUrl = t.server.metricsUrl!;
});
afterAll(async () => {
  await t?.close();
});

describe('GET /metrics', () => {
  it('serves the Prometheus text format on its own loopback listener, and nothing else there', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(metricsUrl).port).not.toBe(new URL(t.url).port);
    const { types } = await scrape();
    expect(types.get('ingest_files_total')).toBe('counter');
    expect(types.get('ingest_duration_seconds')).toBe('histogram');
    expect(types.get('ingest_db_pool_connections')).toBe('gauge');
    expect(types.get('ingest_read_cache_hit_ratio')).toBe('gauge');
    const other = await fetch(metricsUrl.replace('/metrics', '/v1/files'));
    expect(other.status).toBe(404);
  });

  it('counts a real ingest: files, bytes, rows, duration, read-cache hits, and errors by code', async () => {
    const { key } = await t.key('metrics');
    const before = (await scrape()).samples;
    const sample = await readFile('fixtures/sample.csv');

    const created = await t.request('/v1/files?filename=sample.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: sample,
    });
    expect(created.status).toBe(201);
    const { fileId, rows } = await json(created);
    const duplicate = await t.request('/v1/files?filename=again.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: sample,
    });
    expect(duplicate.status).toBe(200);
    const empty = await t.request('/v1/files?filename=empty.csv', key, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: '',
    });
    expect(empty.status).toBe(400);
    // The same metrics twice: the second answer comes from the read cache (when its feed is live).
    expect((await t.request(`/v1/files/${fileId}/metrics`, key)).status).toBe(200);
    expect((await t.request(`/v1/files/${fileId}/metrics`, key)).status).toBe(200);
    expect((await t.request('/v1/files', 'ik_000000000000_nope')).status).toBe(401);

    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(after, name, labels) - value(before, name, labels);
    expect(delta('ingest_files_total', { outcome: 'ready' })).toBe(1);
    expect(delta('ingest_files_total', { outcome: 'duplicate' })).toBe(1);
    expect(delta('ingest_files_total', { outcome: 'failed' })).toBe(1);
    expect(delta('ingest_failures_total', { code: 'EMPTY_FILE' })).toBe(1);
    expect(delta('ingest_bytes_total')).toBe(sample.length);
    expect(delta('ingest_rows_total')).toBe(rows);
    expect(delta('ingest_duration_seconds_count', { outcome: 'ready' })).toBe(1);
    expect(delta('ingest_duration_seconds_bucket', { outcome: 'ready', le: '+Inf' })).toBe(1);
    expect(delta('ingest_duration_seconds_sum', { outcome: 'ready' })).toBeGreaterThan(0);
    expect(delta('ingest_http_errors_total', { code: 'EMPTY_FILE', status: '400' })).toBe(1);
    expect(delta('ingest_http_errors_total', { code: 'UNAUTHORIZED', status: '401' })).toBe(1);
    expect(
      delta('ingest_read_cache_hits_total') + delta('ingest_read_cache_misses_total'),
    ).toBeGreaterThanOrEqual(2);
    expect(delta('ingest_read_cache_misses_total')).toBeGreaterThanOrEqual(1);
    const ratio = value(after, 'ingest_read_cache_hit_ratio');
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    // This server's pool is counted: its cap, and idle connections after the requests.
    expect(value(after, 'ingest_db_pool_connections', { state: 'max' })).toBeGreaterThanOrEqual(
      t.env.services.pool.options.max ?? 1,
    );
    expect(value(after, 'ingest_db_pool_connections', { state: 'idle' })).toBeGreaterThan(0);
  });

  it('reports queue depth and age only once a queue registers its backlog', async () => {
    const { samples } = await scrape();
    expect(samples.some((s) => s.name === 'ingest_queue_depth')).toBe(false);
    const unregister = registerQueueBacklog(async () => [
      { queue: 'ingest', depth: 3, oldestAgeSeconds: 42 },
    ]);
    try {
      const { samples: withQueue } = await scrape();
      expect(value(withQueue, 'ingest_queue_depth', { queue: 'ingest' })).toBe(3);
      expect(value(withQueue, 'ingest_queue_oldest_age_seconds', { queue: 'ingest' })).toBe(42);
    } finally {
      unregister();
    }
  });

  it('answers on the API port only to the metrics token', async () => {
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    expect((await json(wrong)).error.code).toBe('UNAUTHORIZED');
    // An API key is not the metrics token.
    const { key } = await t.key('metrics-key');
    expect((await t.request('/metrics', key)).status).toBe(401);
    const right = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);
    expect(parseExposition(await right.text()).types.get('ingest_files_total')).toBe('counter');
  });

  it('is not served at all without a port or token', async () => {
    const plain = await startTestServer();
    try {
      expect(plain.server.metricsUrl).toBeUndefined();
      const res = await fetch(`${plain.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('metrics configuration', () => {
  it('is off by default, loopback when a port is set, and refuses a short token', () => {
    expect(loadConfig({}).metrics).toEqual({ host: '127.0.0.1' });
    expect(loadConfig({ INGEST_METRICS_PORT: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(() => loadConfig({ INGEST_METRICS_TOKEN: 'short' })).toThrow(/INGEST_METRICS_TOKEN/);
    expect(() => loadConfig({ INGEST_METRICS_PORT: '70000' })).toThrow(/INGEST_METRICS_PORT/);
  });
});
