import { describe, expect, it } from 'vitest';
import {
  estimateHll,
  HLL_REGISTERS,
  HllAccumulator,
  type HllSnapshot,
  hashValue,
  mergeHll,
} from '../src/metrics/hyperloglog.js';

/**
 * The bound: HyperLogLog's relative standard error is 1.04 / sqrt(m) for m registers (1.6% at m = 4096).
 * Estimates must fall within 3 standard errors of the exact count (4.9%), which a correct sketch misses
 * for about 0.3% of inputs. The inputs are seeded, so each case is fixed: it passes or fails every time.
 * 32-bit hash collisions (n^2 / 2^33: about 0.01% of n at 10^6) are far inside the bound.
 */
const STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);
const BOUND = 3 * STANDARD_ERROR;

/** mulberry32: a small seeded generator, so the inputs are the same on every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/**
 * `draws` values from the seeded generator, CSV-like (ids, emails, numbers), with repeats: values are
 * drawn from a space about as large as `draws`, so the distinct count is well below it and exact only by
 * counting. Returns the values and that exact count.
 */
function values(draws: number, seed: number): { values: string[]; distinct: number } {
  const next = generator(seed);
  const out: string[] = new Array(draws);
  for (let i = 0; i < draws; i++) {
    const n = next() % draws;
    const shape = n % 3;
    out[i] = shape === 0 ? String(n) : shape === 1 ? `user${n}@example.com` : `${(n / 7).toFixed(3)}`;
  }
  return { values: out, distinct: new Set(out).size };
}

function sketch(of: string[]): HllSnapshot {
  const accumulator = new HllAccumulator();
  for (const value of of) accumulator.add(hashValue(value));
  return accumulator.snapshot();
}

function relativeError(estimate: number, exact: number): number {
  return Math.abs(estimate - exact) / exact;
}

describe('HyperLogLog accuracy against exact distinct counts', () => {
  // n draws from n values hit about 63% of them: 160,000 draws give ~10^5 distinct values.
  for (const [label, draws, seed] of [
    ['10^5', 160_000, 1],
    ['10^5', 160_000, 2],
    ['10^6', 1_600_000, 3],
  ] as const) {
    it(`estimates ~${label} distinct values (seed ${seed}) within 3 standard errors, whole and merged`, () => {
      const input = values(draws, seed);
      expect(input.distinct / (0.632 * draws)).toBeCloseTo(1, 2);
      const whole = sketch(input.values);
      expect(whole.kind).toBe('dense');
      expect(relativeError(estimateHll(whole), input.distinct)).toBeLessThanOrEqual(BOUND);

      // Two halves sketched apart and merged: the union of the same values, so the same registers, and
      // the estimate is as close to the exact count as the whole's.
      const half = Math.floor(draws / 2);
      const merged = mergeHll(sketch(input.values.slice(0, half)), sketch(input.values.slice(half)));
      expect(relativeError(estimateHll(merged), input.distinct)).toBeLessThanOrEqual(BOUND);
      expect(merged).toEqual(whole);
    });
  }

  it('counts repeated values once', () => {
    const input = values(160_000, 4);
    const once = sketch(input.values);
    expect(sketch([...input.values, ...input.values.toReversed()])).toEqual(once);
  });
});
