import { createHash } from 'node:crypto';
import type pg from 'pg';
import { logger } from '../logger.js';

/** Distinct statements held between flushes; past it, new ones are dropped until the next flush. */
const MAX_PENDING_STATEMENTS = 1000;
/** Longest statement text kept: enough to recognize a statement, bounded whatever the SQL. */
const MAX_QUERY_CHARS = 2000;
/** Slow statements reach the table this long after the first of a batch (one write per batch). */
const FLUSH_DELAY_MS = 1000;

const FLUSH_SQL = `INSERT INTO monitoring.statement_timings AS t (query_sha256, query, calls, total_ms, max_ms, rows)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::float8[], $5::float8[], $6::bigint[])
ON CONFLICT (query_sha256) DO UPDATE SET
  calls = t.calls + excluded.calls, total_ms = t.total_ms + excluded.total_ms,
  max_ms = greatest(t.max_ms, excluded.max_ms), rows = t.rows + excluded.rows, last_seen = now()`;

interface Pending {
  query: string;
  calls: number;
  totalMs: number;
  maxMs: number;
  rows: number;
}

/**
 * Ingest's own record of slow statements, for servers where pg_stat_statements does not collect (it
 * needs shared_preload_libraries, which a managed or shared server may not set). Every statement of the
 * pool is timed; those over the threshold are aggregated in memory by their text with literals masked
 * (parameters are never seen: no tenant data), and written in one statement shortly after.
 */
export class StatementTimings {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: pg.Pool,
    readonly thresholdMs: number,
  ) {}

  record(text: string, ms: number, rows: number): void {
    if (ms < this.thresholdMs || text === FLUSH_SQL) return;
    const query = maskLiterals(text);
    const key = createHash('sha256').update(query).digest('hex');
    const entry = this.pending.get(key);
    if (entry) {
      entry.calls++;
      entry.totalMs += ms;
      entry.maxMs = Math.max(entry.maxMs, ms);
      entry.rows += rows;
    } else if (this.pending.size < MAX_PENDING_STATEMENTS) {
      this.pending.set(key, { query, calls: 1, totalMs: ms, maxMs: ms, rows });
    }
    // Unref'd: a pending record never keeps a finished command alive.
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  /** Writes what is pending now; resolves when written (failures are logged, never thrown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.flushing;
    const batch = [...this.pending];
    this.pending = new Map();
    this.flushing = this.flushing.then(() =>
      this.pool
        .query(FLUSH_SQL, [
          batch.map(([key]) => key),
          batch.map(([, p]) => p.query),
          batch.map(([, p]) => p.calls),
          batch.map(([, p]) => p.totalMs),
          batch.map(([, p]) => p.maxMs),
          batch.map(([, p]) => p.rows),
        ])
        .then(
          () => undefined,
          // Before migration 0051, or after the pool ended: the timings are lost, nothing else.
          (err: unknown) => logger.debug({ err }, 'could not record slow statements'),
        ),
    );
    return this.flushing;
  }
}

/** The statement with its string and number literals replaced by `?`, cut to a bounded length. */
export function maskLiterals(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, "'?'")
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_QUERY_CHARS);
}

type QueryFunction = (...args: unknown[]) => unknown;

/**
 * Times every statement `client` runs, promise or callback style (pg.Pool#query uses the callback);
 * COPY streams and other submittables pass through untimed.
 */
export function timeStatements(client: pg.ClientBase, timings: StatementTimings): void {
  const target = client as unknown as { query: QueryFunction };
  const original = target.query.bind(client) as QueryFunction;
  target.query = (...args: unknown[]) => {
    const first = args[0] as { text?: unknown; submit?: unknown } | string | undefined;
    const text =
      typeof first === 'string'
        ? first
        : first && typeof first.text === 'string' && typeof first.submit !== 'function'
          ? first.text
          : undefined;
    if (text === undefined) return original(...args);
    const started = performance.now();
    const done = (result: unknown) =>
      timings.record(text, performance.now() - started, (result as { rowCount?: number })?.rowCount ?? 0);
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, result: unknown) => {
        if (!err) done(result);
        return (callback as QueryFunction)(err, result);
      };
      return original(...args);
    }
    const result = original(...args);
    if (result instanceof Promise) result.then(done, () => undefined);
    return result;
  };
}
