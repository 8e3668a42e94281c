import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../src/domain/index.js';
import { ALL_TYPE_BITS, classifyValue, columnTypeOf, TYPE_BITS } from '../src/metrics/index.js';

const INTEGER = TYPE_BITS.INTEGER | TYPE_BITS.DECIMAL;
const DECIMAL = TYPE_BITS.DECIMAL;
const BOOLEAN = TYPE_BITS.BOOLEAN;
const DATE = TYPE_BITS.DATE | TYPE_BITS.TIMESTAMP;
const TIMESTAMP = TYPE_BITS.TIMESTAMP;
const TEXT = 0;

const cases: [value: string, mask: number][] = [
  // Integers.
  ['0', INTEGER],
  ['1', INTEGER],
  ['-0', INTEGER],
  ['+5', INTEGER],
  ['-42', INTEGER],
  ['007', INTEGER],
  ['1234567890123456789012345678901234567890', INTEGER],
  ['+', TEXT],
  ['-', TEXT],
  ['--5', TEXT],
  ['5-', TEXT],
  ['1_000', TEXT],
  ['1,000', TEXT],
  ['  5', TEXT],
  ['5 ', TEXT],
  ['٣', TEXT],
  // Decimals.
  ['1e5', DECIMAL],
  ['1E+05', DECIMAL],
  ['-2.5e-3', DECIMAL],
  ['.5', DECIMAL],
  ['-.5', DECIMAL],
  ['5.', DECIMAL],
  ['5.e3', DECIMAL],
  ['3.14159', DECIMAL],
  ['.', TEXT],
  ['-.', TEXT],
  ['.e5', TEXT],
  ['1e', TEXT],
  ['1e+', TEXT],
  ['1e5.5', TEXT],
  ['1.2.3', TEXT],
  ['0x1F', TEXT],
  ['NaN', TEXT],
  ['Infinity', TEXT],
  ['-Infinity', TEXT],
  // Booleans: words only; 0 and 1 are integers.
  ['true', BOOLEAN],
  ['TRUE', BOOLEAN],
  ['False', BOOLEAN],
  ['yes', BOOLEAN],
  ['NO', BOOLEAN],
  ['t', BOOLEAN],
  ['F', BOOLEAN],
  ['y', BOOLEAN],
  ['N', BOOLEAN],
  ['tru', TEXT],
  ['truee', TEXT],
  ['yess', TEXT],
  ['on', TEXT],
  ['x', TEXT],
  // Dates: real calendar dates only.
  ['2024-02-29', DATE],
  ['2023-02-29', TEXT],
  ['2024-02-30', TEXT],
  ['2000-02-29', DATE],
  ['1900-02-29', TEXT],
  ['2100-02-28', DATE],
  ['2024-04-31', TEXT],
  ['2024-12-31', DATE],
  ['2024-13-01', TEXT],
  // A non-digit in the year's second half (found by the property test below with seed 847687058).
  ['06x0-10-09', TEXT],
  ['20-4-01-01', TEXT],
  ['2024-00-10', TEXT],
  ['2024-01-00', TEXT],
  ['0000-01-01', TEXT],
  ['2024-1-01', TEXT],
  ['2024/01/01', TEXT],
  ['20240101', INTEGER],
  ['2024-01-01x', TEXT],
  // Timestamps.
  ['2024-01-15T10:30', TIMESTAMP],
  ['2024-01-15 10:30', TIMESTAMP],
  ['2024-01-15T10:30:59', TIMESTAMP],
  ['2024-01-15T10:30:59.123456789', TIMESTAMP],
  ['2024-01-15T10:30:00Z', TIMESTAMP],
  ['2024-01-15T10:30Z', TIMESTAMP],
  ['2024-01-15T10:30:00+05:30', TIMESTAMP],
  ['2024-01-15T10:30:00.5-08:00', TIMESTAMP],
  ['2024-01-15T23:59:59Z', TIMESTAMP],
  ['2024-01-15T24:00', TEXT],
  ['2024-01-15T10:60', TEXT],
  ['2024-01-15T10:30:60', TEXT],
  ['2024-01-15T10:30:00.', TEXT],
  ['2024-01-15T10', TEXT],
  ['2024-01-15T1:30', TEXT],
  ['2024-01-15t10:30', TEXT],
  ['2024-01-15T10:30:00z', TEXT],
  ['2024-01-15T10:30:00+0530', TEXT],
  ['2024-01-15T10:30:00+05', TEXT],
  ['2024-01-15T10:30:00Z ', TEXT],
  ['2024-02-30T10:30', TEXT],
  ['2024-01-15X10:30', TEXT],
  ['000E-00000', DECIMAL],
  ['123e-45678', DECIMAL],
  // Text.
  ['hello', TEXT],
  ['Zoë', TEXT],
  ['😀', TEXT],
];

describe('metrics classifyValue', () => {
  it.each(cases)('%j has mask %i', (value, mask) => {
    expect(classifyValue(value)).toBe(mask);
  });
});

/** The brief's regular expressions, plus calendar and clock ranges: the slow, obviously-right classifier. */
function referenceMask(value: string): number {
  let mask = 0;
  if (/^[+-]?\d+$/.test(value)) mask |= INTEGER;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) mask |= DECIMAL;
  if (/^(true|false|yes|no|t|f|y|n)$/i.test(value)) mask |= BOOLEAN;
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):(\d{2}))?)?$/.exec(
      value,
    );
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const date = new Date(Date.UTC(2000, mo - 1, d));
    date.setUTCFullYear(y);
    const realDate = y >= 1 && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
    const inRange = (s: string | undefined, max: number): boolean => s === undefined || Number(s) <= max;
    const clock =
      inRange(m[4], 23) && inRange(m[5], 59) && inRange(m[6], 59) && inRange(m[7], 23) && inRange(m[8], 59);
    if (realDate && clock) mask |= value.length === 10 ? DATE : TIMESTAMP;
  }
  return mask;
}

describe('metrics classifyValue against the reference regular expressions', () => {
  const from = (chars: string, maxLength: number) =>
    fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: 1, maxLength });
  const datePrefix = fc
    .tuple(
      fc.integer({ min: 0, max: 2500 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(
      ([y, m, d]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    );

  it('agrees on number-like strings', () => {
    fc.assert(
      fc.property(from('0123456789+-.eE x', 12), (value) => {
        expect(classifyValue(value)).toBe(referenceMask(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees on date- and timestamp-like strings', () => {
    fc.assert(
      fc.property(datePrefix, fc.option(from('0123456789:.+-TZ ', 20), { nil: '' }), (date, rest) => {
        const value = date + rest;
        expect(classifyValue(value)).toBe(referenceMask(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees on well-formed timestamps with random field values', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const timestamp = fc
      .tuple(
        datePrefix,
        fc.constantFrom('T', ' '),
        two(25),
        two(61),
        fc.option(fc.tuple(two(61), fc.option(fc.stringMatching(/^\.\d{1,9}$/), { nil: '' })), { nil: null }),
        fc.oneof(
          fc.constant(''),
          fc.constant('Z'),
          fc.tuple(fc.constantFrom('+', '-'), two(25), two(61)).map(([s, h, m]) => `${s}${h}:${m}`),
        ),
      )
      .map(([d, sep, h, mi, sec, zone]) => `${d}${sep}${h}:${mi}${sec ? `:${sec[0]}${sec[1]}` : ''}${zone}`);
    fc.assert(
      fc.property(timestamp, (value) => {
        expect(classifyValue(value)).toBe(referenceMask(value));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('metrics columnTypeOf', () => {
  const typeOf = (...values: string[]): ColumnType =>
    columnTypeOf(
      values.reduce((mask, v) => mask & classifyValue(v), ALL_TYPE_BITS),
      values.length,
    );

  it.each<[string[], ColumnType]>([
    [['1', '-2', '007'], 'integer'],
    [['1', '2.5'], 'decimal'],
    [['1', '1e3'], 'decimal'],
    [['true', 'no', 'T'], 'boolean'],
    [['true', '1'], 'text'],
    [['2024-01-01', '2024-02-29'], 'date'],
    [['2024-01-01', '2024-01-01T00:00'], 'timestamp'],
    [['2024-01-01T00:00', '2024-01-01T01:00Z'], 'timestamp'],
    [['2024-01-01', '5'], 'text'],
    [['1', 'A3'], 'text'],
  ])('%j is %s', (values, type) => {
    expect(typeOf(...values)).toBe(type);
  });

  it('calls a column without values text', () => {
    expect(columnTypeOf(ALL_TYPE_BITS, 0)).toBe('text');
  });
});
