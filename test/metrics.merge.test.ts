import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ColumnSummary,
  createStatsBuilder,
  emptySnapshot,
  mergeSnapshots,
  type StatsSnapshot,
  summarize,
} from '../src/metrics/index.js';

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const dateArb = fc
  .tuple(
    fc.integer({ min: 1900, max: 2100 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 28 }),
  )
  .map(([y, m, d]) => `${y}-${pad(m)}-${pad(d)}`);

/** Value generators by column flavour; a column draws from one, so typed columns stay typed. */
const flavours: fc.Arbitrary<string>[] = [
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.oneof(
    fc.double({ min: -1e9, max: 1e9, noNaN: true }).map(String),
    fc.integer({ min: -999, max: 999 }).map((n) => `${n}e-2`),
    fc.integer({ min: 0, max: 99 }).map((n) => `.${n}`),
  ),
  fc.constantFrom('true', 'false', 'YES', 'no', 'T', 'f'),
  dateArb,
  fc.oneof(
    dateArb,
    fc
      .tuple(
        dateArb,
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom('', 'Z', '+05:30'),
      )
      .map(([d, h, m, z]) => `${d}T${pad(h)}:${pad(m)}${z}`),
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
  // Long values exercise the 256-code-unit cut of text min/max, surrogate pairs included.
  fc.string({ unit: 'binary', minLength: 250, maxLength: 270 }),
];
const anyValue = fc.oneof(...flavours);

function cell(flavour: number): fc.Arbitrary<string> {
  // The last flavour index means "anything": columns that end up text.
  if (flavour === flavours.length) return fc.oneof(fc.constant(''), anyValue);
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: 2 },
    { arbitrary: flavours[flavour]!, weight: 12 },
    // Rare intruders make a typed column fall back in some chunks but not others.
    { arbitrary: anyValue, weight: 1 },
  );
}

const tableArb = fc
  .array(fc.nat(flavours.length), { minLength: 1, maxLength: 6 })
  .chain((kinds) =>
    fc.tuple(fc.constant(kinds.length), fc.array(fc.tuple(...kinds.map(cell)), { maxLength: 60 })),
  );

function snapshotOf(columnCount: number, records: string[][]): StatsSnapshot {
  const builder = createStatsBuilder(columnCount);
  for (const record of records) builder.add(record);
  return builder.snapshot();
}

function split<T>(items: T[], cuts: number[]): T[][] {
  const positions = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b);
  const parts: T[][] = [];
  let start = 0;
  for (const p of [...positions, items.length]) {
    parts.push(items.slice(start, p));
    start = p;
  }
  return parts;
}

/** Merges pairs picked by `picks` (any two, not only neighbours) until one snapshot is left. */
function mergeRandomly(snapshots: StatsSnapshot[], picks: number[], columnCount: number): StatsSnapshot {
  const pool = [...snapshots];
  let k = 0;
  while (pool.length > 1) {
    const i = (picks[k++ % Math.max(picks.length, 1)] ?? 0) % pool.length;
    const a = pool.splice(i, 1)[0]!;
    const j = (picks[k++ % Math.max(picks.length, 1)] ?? 0) % pool.length;
    const b = pool.splice(j, 1)[0]!;
    pool.push(mergeSnapshots(a, b));
  }
  return pool[0] ?? emptySnapshot(columnCount);
}

/** Summaries equal, except that a mean may differ by rounding: float addition is not associative. */
function expectSameSummaries(actual: ColumnSummary[], expected: ColumnSummary[]): void {
  expect(actual.map(({ mean, ...rest }) => rest)).toEqual(expected.map(({ mean, ...rest }) => rest));
  actual.forEach((summary, i) => {
    const want = expected[i]!.mean;
    if (want === null) {
      expect(summary.mean).toBeNull();
      return;
    }
    const scale = Math.max(1, Math.abs(Number(summary.min)), Math.abs(Number(summary.max)));
    expect(Math.abs(summary.mean! - want)).toBeLessThanOrEqual(1e-12 * scale);
  });
}

describe('metrics mergeSnapshots', () => {
  it('merging chunk snapshots in any grouping summarizes like one builder over all rows', () => {
    fc.assert(
      fc.property(tableArb, fc.array(fc.nat()), fc.array(fc.nat()), ([columnCount, records], cuts, picks) => {
        const names = Array.from({ length: columnCount }, (_, i) => `c${i}`);
        const whole = snapshotOf(columnCount, records);
        const chunks = split(records, cuts).map((part) => snapshotOf(columnCount, part));
        const merged = mergeRandomly(chunks, picks, columnCount);
        expect(merged.rowCount).toBe(records.length);
        expectSameSummaries(summarize(merged, names), summarize(whole, names));
      }),
      { numRuns: 300 },
    );
  });

  it('gives equal distinct estimates when chunks turn a column dense at different points', () => {
    const tall = fc.array(
      fc.nat(6000).map((n) => [`v${n}`, String(n % 1500)]),
      {
        minLength: 900,
        maxLength: 4000,
      },
    );
    // A boolean property, not expect(): diffing 4096-register arrays on every shrink step takes minutes.
    const sketchKey = (s: StatsSnapshot): string =>
      s.distinct
        .map((d) => `${d.kind}:${bytesOf(d.kind === 'dense' ? d.registers : d.hashes).toString('base64')}`)
        .join('|');
    fc.assert(
      fc.property(tall, fc.array(fc.nat(), { maxLength: 12 }), fc.array(fc.nat()), (records, cuts, picks) => {
        const whole = snapshotOf(2, records);
        const merged = mergeRandomly(
          split(records, cuts).map((part) => snapshotOf(2, part)),
          picks,
          2,
        );
        const names = ['a', 'b'];
        return (
          sketchKey(merged) === sketchKey(whole) &&
          JSON.stringify(summarize(merged, names)) === JSON.stringify(summarize(whole, names))
        );
      }),
      { numRuns: 40 },
    );
  });

  it('treats the empty snapshot as an identity and leaves its inputs unchanged', () => {
    const records = [
      ['1', 'x', ''],
      ['2', '', '2024-01-01'],
    ];
    const snapshot = snapshotOf(3, records);
    const before = structuredClone(snapshot);
    const names = ['a', 'b', 'c'];
    expect(summarize(mergeSnapshots(emptySnapshot(3), snapshot), names)).toEqual(summarize(snapshot, names));
    expect(summarize(mergeSnapshots(snapshot, emptySnapshot(3)), names)).toEqual(summarize(snapshot, names));
    mergeSnapshots(snapshot, snapshot);
    expect(snapshot).toEqual(before);
  });

  it('survives structured clone, as it crosses from a worker thread', () => {
    const snapshot = snapshotOf(2, [
      ['1', 'a'],
      ['2', 'b'],
    ]);
    expect(structuredClone(snapshot)).toEqual(snapshot);
  });

  it('refuses snapshots of different widths', () => {
    expect(() => mergeSnapshots(emptySnapshot(2), emptySnapshot(3))).toThrow(/2 and 3 columns/);
  });
});

/** The bytes behind a typed array, for comparing sketches by value. */
function bytesOf(view: Uint8Array | Uint32Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
