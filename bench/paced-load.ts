/**
 * An open-loop load generator: requests leave at a fixed rate, spread evenly over time, on a pool of
 * keep-alive connections opened up front, whether or not earlier requests were answered. This is how
 * many polling dashboards load a server. (autocannon's own rate option fires each connection's quota
 * at the start of every second, a synchronized burst, and lowers the connection count to the rate.)
 *
 * Latency is measured from when a request was due, not when it was sent: a generator that falls
 * behind cannot hide the server's slowness (coordinated omission).
 */
import http from 'node:http';

/** How often the scheduler wakes to send what is due; requests due in between leave together. */
const TICK_MS = 2;

export interface PacedLoadOptions {
  /** `http://host:port` */
  url: string;
  /** Keep-alive connections opened before the run and kept for it. */
  connections: number;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Seconds a request may take; one still unanswered then counts as a timeout. */
  timeoutSeconds: number;
  /** The next request's path and headers. */
  next(): { path: string; headers: Record<string, string> };
}

export interface PacedLoadResult {
  seconds: number;
  sent: number;
  /** Latencies of answered requests in milliseconds, ascending. */
  latenciesMs: number[];
  statusCounts: Record<string, number>;
  /** Socket errors and timeouts. */
  failures: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const target = new URL(options.url);
  // fifo: every socket of the pool takes its turn, so all of them stay open and in use.
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections, scheduling: 'fifo' });
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  let failures = 0;

  const send = (dueAt: number, measured: boolean): Promise<void> =>
    new Promise((resolve) => {
      const { path, headers } = options.next();
      const request = http.request(
        { agent, host: target.hostname, port: target.port, path, method: 'GET', headers },
        (response) => {
          response.resume();
          response.on('end', () => {
            if (measured) {
              latenciesMs.push(performance.now() - dueAt);
              const status = String(response.statusCode);
              statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            }
            resolve();
          });
          response.on('error', () => {
            if (measured) failures++;
            resolve();
          });
        },
      );
      request.setTimeout(options.timeoutSeconds * 1000, () => request.destroy(new Error('timeout')));
      request.on('error', () => {
        if (measured) failures++;
        resolve();
      });
      request.end();
    });

  try {
    // Opens every connection (one request each, not measured) before the clock starts.
    await Promise.all(Array.from({ length: options.connections }, () => send(performance.now(), false)));

    const inFlight: Promise<void>[] = [];
    const started = performance.now();
    const total = Math.round(options.rate * options.seconds);
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const elapsed = performance.now() - started;
        const due = Math.min(total, Math.floor((elapsed * options.rate) / 1000));
        while (sent < due) {
          inFlight.push(send(started + (sent * 1000) / options.rate, true));
          sent++;
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    await Promise.all(inFlight);
    latenciesMs.sort((a, b) => a - b);
    return { seconds: (performance.now() - started) / 1000, sent, latenciesMs, statusCounts, failures };
  } finally {
    agent.destroy();
  }
}

/** The value below which `p` percent of the sorted values fall (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
