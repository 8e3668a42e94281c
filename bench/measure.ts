/**
 * Wall time, CPU and memory of one measured call. CPU and RSS are the whole process's: piscina workers
 * are threads of this process, so their parsing and gzip count too (the PostgreSQL server's do not).
 */
import { availableParallelism } from 'node:os';

/** How often RSS is sampled: short enough to catch a chunk-sized spike, long enough to cost nothing. */
const RSS_SAMPLE_MS = 20;

/**
 * Samples `process.memoryUsage.rss()` on an unref'd timer, so it never keeps the process alive.
 * `process.resourceUsage().maxRSS` is the kernel's exact peak but only for the process lifetime;
 * the sampler gives the peak within one measured window.
 */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peakBytes = 0;

  start(): void {
    this.reset();
    this.timer ??= setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.timer.unref();
  }

  /** Starts a new window: the peak becomes the current RSS. */
  reset(): void {
    this.peakBytes = process.memoryUsage.rss();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakBytes) this.peakBytes = rss;
  }

  /** The highest RSS seen since the last reset, in bytes. */
  peak(): number {
    this.sample();
    return this.peakBytes;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface Measurement<T> {
  value: T;
  seconds: number;
  /** User + system CPU of the process over the wall time, as a share of all cores (100 = all busy). */
  cpuPercent: number;
  /** Highest sampled RSS during the call, in bytes. */
  peakRssBytes: number;
  /** The kernel's peak RSS of the process so far (includes everything before the call), in bytes. */
  maxRssBytes: number;
}

/** The kernel's lifetime peak RSS of this process in bytes (resourceUsage reports kilobytes). */
export function processMaxRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export async function measure<T>(sampler: RssSampler, fn: () => Promise<T>): Promise<Measurement<T>> {
  sampler.reset();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    value,
    seconds: wallMs / 1000,
    cpuPercent: wallMs > 0 ? (100 * cpuMs) / (wallMs * availableParallelism()) : 0,
    peakRssBytes: sampler.peak(),
    maxRssBytes: processMaxRss(),
  };
}

/** Times a call without the CPU/RSS bookkeeping (baselines, where only seconds matter). */
export async function time<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

/**
 * The median measurement by seconds. For an even count this is the upper middle: a benchmark should
 * not flatter itself by picking the faster of two.
 */
export function medianBy<T extends { seconds: number }>(items: readonly T[]): T {
  if (items.length === 0) throw new Error('median of nothing');
  const sorted = [...items].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)]!;
}
