import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METRIC_ROWS } from '../src/limits.js';
import {
  createStatsBuilder,
  emptySnapshot,
  METRIC_TYPES,
  mergeSnapshots,
  StatsAccumulator,
  summarize,
} from '../src/metrics/index.js';

const COLUMNS = 3;
const value = fc.oneof(
  fc.constant(''),
  fc.integer({ min: -50, max: 50 }).map(String),
  fc.string({ maxLength: 4 }),
);
const chunk = fc.array(fc.array(value, { minLength: COLUMNS, maxLength: COLUMNS }), { maxLength: 400 });

function snapshotOf(records: string[][]) {
  const builder = createStatsBuilder(COLUMNS);
  for (const record of records) builder.add(record);
  return builder.snapshot();
}

describe('metrics: stats accumulator', () => {
  it('merges chunks in place to the same summaries as the pure merge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 6 }), async (chunks) => {
        const names = ['a', 'b', 'c'];
        const pure = chunks.map(snapshotOf).reduce(mergeSnapshots, emptySnapshot(COLUMNS));
        const accumulator = new StatsAccumulator(COLUMNS);
        for (const records of chunks) await accumulator.add(snapshotOf(records));
        expect(accumulator.snapshot().rowCount).toBe(pure.rowCount);
        expect(summarize(accumulator.snapshot(), names)).toEqual(summarize(pure, names));
      }),
      { numRuns: 200 },
    );
  });

  it('merges a file of thousands of columns over several turns of the event loop', async () => {
    const columns = 2000;
    const record = Array.from({ length: columns }, (_, i) => String(i));
    const builder = createStatsBuilder(columns);
    builder.add(record);
    const accumulator = new StatsAccumulator(columns);
    // Work queued on the event loop before the merge runs before the merge ends: the merge yields.
    let other = false;
    setImmediate(() => (other = true));
    let otherRanBeforeEnd = false;
    await accumulator.add(builder.snapshot()).then(() => (otherRanBeforeEnd = other));
    expect(otherRanBeforeEnd).toBe(true);
    expect(accumulator.snapshot().rowCount).toBe(1);
  });

  it('counts the metric rows per file and per column that the metric-row cap is derived from', () => {
    const fileLevel = ['row_count', 'column_count', 'byte_count', 'stored_bytes', 'compression_ratio'];
    const all = Object.values(METRIC_TYPES);
    const perFile = all.indexOf('inferred_type');
    expect(all.slice(0, fileLevel.length)).toEqual(fileLevel);
    expect(perFile).toBe(METRIC_ROWS.perFile);
    expect(all.length - perFile).toBe(METRIC_ROWS.perColumn);
  });
});
