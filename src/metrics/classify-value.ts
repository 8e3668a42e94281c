import type { ColumnType } from '../domain/index.js';

/**
 * Bits of a value's type mask. A value carries every type it fits (an integer is also a decimal, a date is
 * also a timestamp), so ANDing the masks of a column's values leaves the types every value fits.
 */
export const TYPE_BITS = {
  INTEGER: 1,
  DECIMAL: 2,
  BOOLEAN: 4,
  DATE: 8,
  TIMESTAMP: 16,
} as const;

/** The mask of a column before it has seen a value: the identity of AND. */
export const ALL_TYPE_BITS = 31;
/** Values whose mask has one of these bits parse with `Number()`. */
export const NUMERIC_BITS = TYPE_BITS.INTEGER | TYPE_BITS.DECIMAL;

const INTEGER_MASK = TYPE_BITS.INTEGER | TYPE_BITS.DECIMAL;
const DECIMAL_MASK = TYPE_BITS.DECIMAL;
const DATE_MASK = TYPE_BITS.DATE | TYPE_BITS.TIMESTAMP;
const TIMESTAMP_MASK = TYPE_BITS.TIMESTAMP;
const TEXT_MASK = 0;

const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const COLON = 58;
const SPACE = 32;
const LOWER_E = 101;
const LOWER_T = 116;
const UPPER_T = 84;
const UPPER_Z = 90;
/** OR-ing 0x20 folds ASCII upper case onto lower case; digits and punctuation never reach those checks. */
const CASE_BIT = 0x20;

/**
 * Which types a non-empty value fits, as TYPE_BITS. Hand-written char-code scans instead of regular
 * expressions: this runs once per value on the ingest hot path and must not allocate.
 */
export function classifyValue(value: string): number {
  const n = value.length;
  const c0 = value.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) {
    // Four digits then '-' starts a date; a number only has '-' after an exponent's 'e'.
    if (n >= 10 && value.charCodeAt(4) === MINUS && isDigit(value.charCodeAt(3)))
      return classifyTemporal(value, n);
    return classifyNumber(value, n, 0);
  }
  if (c0 === PLUS || c0 === MINUS) return classifyNumber(value, n, 1);
  if (c0 === DOT) return classifyNumber(value, n, 0);
  return n <= 5 && isBooleanWord(value, n, c0 | CASE_BIT) ? TYPE_BITS.BOOLEAN : TEXT_MASK;
}

/** `^[+-]?\d+$` is integer; `^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$` is decimal. */
function classifyNumber(s: string, n: number, start: number): number {
  let i = start;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intDigits = i - start;
  if (i === n) return intDigits > 0 ? INTEGER_MASK : TEXT_MASK;
  let fracDigits = 0;
  if (s.charCodeAt(i) === DOT) {
    const fracStart = ++i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    fracDigits = i - fracStart;
  }
  if (intDigits === 0 && fracDigits === 0) return TEXT_MASK;
  if (i === n) return DECIMAL_MASK;
  if ((s.charCodeAt(i) | CASE_BIT) !== LOWER_E) return TEXT_MASK;
  i++;
  const sign = s.charCodeAt(i);
  if (sign === PLUS || sign === MINUS) i++;
  const expStart = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  return i === n && i > expStart ? DECIMAL_MASK : TEXT_MASK;
}

/** `YYYY-MM-DD` (a real proleptic-Gregorian date) or `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM]`. */
function classifyTemporal(s: string, n: number): number {
  const century = digits2(s, 0);
  const yearInCentury = digits2(s, 2);
  const year = century * 100 + yearInCentury;
  const month = digits2(s, 5);
  const day = digits2(s, 8);
  // digits2 returns a negative number for a non-digit, which fails these range checks too; the year's two
  // halves are checked apart, since a non-digit in the second would only lower the sum (`06x0`: 599).
  if (century < 0 || yearInCentury < 0 || year < 1) return TEXT_MASK;
  if (s.charCodeAt(7) !== MINUS || month < 1 || month > 12 || day < 1) return TEXT_MASK;
  if (day > daysInMonth(year, month)) return TEXT_MASK;
  if (n === 10) return DATE_MASK;

  const sep = s.charCodeAt(10);
  if ((sep !== UPPER_T && sep !== SPACE) || n < 16) return TEXT_MASK;
  if (!isClock(s, 11, 23)) return TEXT_MASK;
  let i = 16;
  if (i < n && s.charCodeAt(i) === COLON) {
    const second = digits2(s, i + 1);
    if (i + 3 > n || second < 0 || second > 59) return TEXT_MASK;
    i += 3;
    if (i < n && s.charCodeAt(i) === DOT) {
      const fracStart = ++i;
      while (i < n && isDigit(s.charCodeAt(i))) i++;
      if (i === fracStart) return TEXT_MASK;
    }
  }
  if (i === n) return TIMESTAMP_MASK;
  const zone = s.charCodeAt(i);
  if (zone === UPPER_Z) return i + 1 === n ? TIMESTAMP_MASK : TEXT_MASK;
  if (zone !== PLUS && zone !== MINUS) return TEXT_MASK;
  return i + 6 === n && isClock(s, i + 1, 23) ? TIMESTAMP_MASK : TEXT_MASK;
}

/** `HH:MM` at `i` with 0 <= HH <= maxHour and 0 <= MM <= 59. */
function isClock(s: string, i: number, maxHour: number): boolean {
  const hour = digits2(s, i);
  const minute = digits2(s, i + 3);
  return s.charCodeAt(i + 2) === COLON && hour >= 0 && hour <= maxHour && minute >= 0 && minute <= 59;
}

/** true/false/yes/no/t/f/y/n in any case. `first` is the first char code folded to lower case. */
function isBooleanWord(s: string, n: number, first: number): boolean {
  switch (n) {
    case 1:
      return first === LOWER_T || first === 102 || first === 121 || first === 110;
    case 2:
      return first === 110 && (s.charCodeAt(1) | CASE_BIT) === 111;
    case 3:
      return first === 121 && (s.charCodeAt(1) | CASE_BIT) === 101 && (s.charCodeAt(2) | CASE_BIT) === 115;
    case 4:
      return (
        first === LOWER_T &&
        (s.charCodeAt(1) | CASE_BIT) === 114 &&
        (s.charCodeAt(2) | CASE_BIT) === 117 &&
        (s.charCodeAt(3) | CASE_BIT) === LOWER_E
      );
    case 5:
      return (
        first === 102 &&
        (s.charCodeAt(1) | CASE_BIT) === 97 &&
        (s.charCodeAt(2) | CASE_BIT) === 108 &&
        (s.charCodeAt(3) | CASE_BIT) === 115 &&
        (s.charCodeAt(4) | CASE_BIT) === LOWER_E
      );
    default:
      return false;
  }
}

/** For a value whose mask has TYPE_BITS.BOOLEAN: whether it spells true (t, true, y, yes). */
export function isTrueWord(value: string): boolean {
  const first = value.charCodeAt(0) | CASE_BIT;
  return first === LOWER_T || first === 121;
}

/** The narrowest type a column fits, given the AND of its values' masks; a column of only nulls is text. */
export function columnTypeOf(mask: number, nonNullCount: number): ColumnType {
  if (nonNullCount === 0) return 'text';
  if (mask & TYPE_BITS.INTEGER) return 'integer';
  if (mask & TYPE_BITS.DECIMAL) return 'decimal';
  if (mask & TYPE_BITS.BOOLEAN) return 'boolean';
  if (mask & TYPE_BITS.DATE) return 'date';
  if (mask & TYPE_BITS.TIMESTAMP) return 'timestamp';
  return 'text';
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Two ASCII digits at `i` as a number, or -1 when either is not a digit (or `i` is past the end). */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  // charCodeAt past the end is NaN, which isDigit rejects.
  return isDigit(a) && isDigit(b) ? (a - 48) * 10 + (b - 48) : -1;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
