import type { MetricRow } from '../domain/index.js';
import { classifyValue, METRIC_TYPES, TYPE_BITS } from '../metrics/index.js';

/*
 * CSV text to typed values, for the typed outputs (Parquet, materialized tables). The type of a column
 * is the one ingest inferred, so every non-empty value of the column has the shape classifyValue checks
 * (metrics/classify-value.ts); these functions read those shapes only. An empty value is null.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether an integer's text fits a signed 64-bit integer (bigint in SQL, INT64 in Parquet). */
export function fitsInt64(text: string): boolean {
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX;
}

/**
 * The columns (by index) of integer type whose min or max, as ingest recorded them, do not fit 64 bits:
 * those are written as exact numbers of another type instead.
 */
export function wideIntegerColumns(metrics: readonly MetricRow[]): Set<number> {
  const wide = new Set<number>();
  for (const m of metrics) {
    if (m.columnIndex === null || m.textValue === null) continue;
    if (m.metricType !== METRIC_TYPES.MIN && m.metricType !== METRIC_TYPES.MAX) continue;
    if (/^[+-]?\d+$/.test(m.textValue) && !fitsInt64(m.textValue)) wide.add(m.columnIndex);
  }
  return wide;
}

/** `t`, `true`, `y`, `yes` in any case is true (the words classifyValue accepts as booleans). */
export function booleanOf(text: string): boolean {
  const first = text.charCodeAt(0) | 0x20;
  return first === 116 || first === 121;
}

const DAY_MS = 86_400_000;

/** Milliseconds since the epoch of a UTC calendar day (any year from 1 to 9999). */
function utcMillis(year: number, month: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

/** `YYYY-MM-DD` as days since 1970-01-01 (Parquet's DATE). */
export function daysOf(text: string): number {
  const ms = utcMillis(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));
  return Math.round(ms / DAY_MS);
}

/**
 * `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH:MM]` (or a date: midnight) as microseconds since the epoch,
 * UTC: a value without an offset is taken as UTC, as materialized tables read it. Fractions beyond
 * microseconds are rounded, as PostgreSQL does.
 */
export function microsOf(text: string): bigint {
  let ms = utcMillis(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)));
  if (text.length === 10) return BigInt(ms) * 1000n;
  ms += Number(text.slice(11, 13)) * 3_600_000 + Number(text.slice(14, 16)) * 60_000;
  let i = 16;
  let micros = 0;
  if (text.charCodeAt(i) === 58) {
    ms += Number(text.slice(i + 1, i + 3)) * 1000;
    i += 3;
    if (text.charCodeAt(i) === 46) {
      const start = ++i;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      micros = Math.round(Number(`0.${text.slice(start, i)}`) * 1_000_000);
    }
  }
  if (i < text.length && text[i] !== 'Z') {
    const sign = text[i] === '-' ? -1 : 1;
    ms -= sign * (Number(text.slice(i + 1, i + 3)) * 3_600_000 + Number(text.slice(i + 4, i + 6)) * 60_000);
  }
  return BigInt(ms) * 1000n + BigInt(micros);
}

/**
 * Whether a non-empty value can be loaded into a column of this PostgreSQL type: the check `--append`
 * makes against an existing table's types before a value reaches COPY. Values are checked by the shapes
 * ingest infers types from; a type ingest does not infer (json, uuid...) is left to PostgreSQL.
 */
export function fitsSqlType(sqlType: string, text: string): boolean {
  const bits = classifyValue(text);
  switch (sqlType) {
    case 'bigint':
      return (bits & TYPE_BITS.INTEGER) !== 0 && fitsInt64(text);
    case 'integer':
    case 'smallint': {
      if ((bits & TYPE_BITS.INTEGER) === 0) return false;
      const value = Number(text);
      const max = sqlType === 'integer' ? 2_147_483_647 : 32_767;
      return value >= -max - 1 && value <= max;
    }
    case 'double precision':
    case 'real':
      return (bits & TYPE_BITS.DECIMAL) !== 0;
    case 'boolean':
      return (bits & TYPE_BITS.BOOLEAN) !== 0;
    case 'date':
      return (bits & TYPE_BITS.DATE) !== 0;
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return (bits & TYPE_BITS.TIMESTAMP) !== 0;
    default:
      // numeric(p,s) has a precision PostgreSQL checks; plain numeric takes any decimal.
      if (sqlType.startsWith('numeric')) return (bits & TYPE_BITS.DECIMAL) !== 0;
      return true;
  }
}

/** SQL types every value fits: text and its kin. */
export function isTextSqlType(sqlType: string): boolean {
  return sqlType === 'text' || sqlType.startsWith('character varying') || sqlType === 'character varying';
}
