import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../src/domain/index.js';
import {
  type ColumnSummary,
  createStatsBuilder,
  METRIC_TYPES,
  metricRows,
  summarize,
} from '../src/metrics/index.js';

function summarizeFixture(path: string): ColumnSummary[] {
  const [header, ...records] = parse(readFileSync(path, 'utf8')) as string[][];
  const builder = createStatsBuilder(header!.length);
  for (const record of records) builder.add(record);
  return summarize(builder.snapshot(), header!);
}

const summaries = summarizeFixture(new URL('../fixtures/metrics/people.csv', import.meta.url).pathname);
const byName = (name: string): ColumnSummary => summaries.find((s) => s.name === name)!;

describe('metrics column statistics of fixtures/metrics/people.csv', () => {
  it('infers every column type', () => {
    expect(summaries.map((s) => [s.name, s.type])).toEqual([
      ['id', 'integer'],
      ['price', 'decimal'],
      ['active', 'boolean'],
      ['born', 'date'],
      // One date-only value among timestamps.
      ['seen_at', 'timestamp'],
      ['name', 'text'],
      ['note', 'text'],
      // "A3" among integers.
      ['code', 'text'],
      // Only empty values.
      ['blank', 'text'],
    ]);
  });

  it('summarizes an integer column', () => {
    expect(byName('id')).toEqual({
      index: 0,
      name: 'id',
      type: 'integer',
      nullCount: 0,
      nonNullCount: 10,
      min: '1',
      max: '10',
      mean: 5.5,
      minLength: 1,
      maxLength: 2,
      distinctEstimate: 10,
    });
  });

  it('summarizes a decimal column with a negative value and exponents', () => {
    const { mean, ...rest } = byName('price');
    expect(rest).toEqual({
      index: 1,
      name: 'price',
      type: 'decimal',
      nullCount: 0,
      nonNullCount: 10,
      min: '-5.5',
      // 1e3
      max: '1000',
      minLength: 1,
      maxLength: 7,
      distinctEstimate: 10,
    });
    // 19.99 - 5.5 + 1000 + 0.75 + 3 + 100 + 2.25 + 0.5 + 1.25 + 7 = 1129.24
    expect(mean).toBeCloseTo(112.924, 12);
  });

  it('summarizes a boolean column written in every accepted spelling', () => {
    expect(byName('active')).toMatchObject({
      type: 'boolean',
      nullCount: 0,
      min: 'false',
      max: 'true',
      mean: null,
      minLength: 1,
      maxLength: 5,
      // Distinct spellings, not distinct truth values.
      distinctEstimate: 10,
    });
  });

  it('summarizes date and timestamp columns by their original text', () => {
    expect(byName('born')).toMatchObject({
      type: 'date',
      min: '1970-01-01',
      max: '2020-02-29',
      mean: null,
      minLength: 10,
      maxLength: 10,
      distinctEstimate: 10,
    });
    expect(byName('seen_at')).toMatchObject({
      type: 'timestamp',
      nullCount: 0,
      min: '2023-12-31T00:00:00-08:00',
      max: '2024-06-30T12:00',
      minLength: 10,
      maxLength: 29,
      // 2024-01-15T10:30:00Z occurs twice.
      distinctEstimate: 9,
    });
  });

  it('orders unicode text by UTF-16 code unit and measures it in code units', () => {
    expect(byName('name')).toEqual({
      index: 5,
      name: 'name',
      type: 'text',
      nullCount: 0,
      nonNullCount: 10,
      min: 'Alice',
      // U+1F600 is the surrogate pair D83D DE00, above every BMP letter here.
      max: '😀 smile',
      mean: null,
      // 李雷
      minLength: 2,
      maxLength: 9,
      // Zoë occurs twice; alice and Alice differ.
      distinctEstimate: 9,
    });
  });

  it('counts empty values as nulls and leaves them out of every other statistic', () => {
    expect(byName('note')).toEqual({
      index: 6,
      name: 'note',
      type: 'text',
      nullCount: 7,
      nonNullCount: 3,
      min: 'hello',
      max: 'x',
      mean: null,
      minLength: 1,
      maxLength: 5,
      distinctEstimate: 3,
    });
    expect(byName('blank')).toEqual({
      index: 8,
      name: 'blank',
      type: 'text',
      nullCount: 10,
      nonNullCount: 0,
      min: null,
      max: null,
      mean: null,
      minLength: null,
      maxLength: null,
      distinctEstimate: 0,
    });
  });

  it('renders a mixed integer/text column as text, ordered as strings', () => {
    expect(byName('code')).toMatchObject({
      type: 'text',
      nullCount: 0,
      min: '1',
      max: 'A3',
      mean: null,
      minLength: 1,
      maxLength: 2,
      distinctEstimate: 10,
    });
  });
});

describe('metrics metric rows', () => {
  const facts = {
    rows: 10,
    columns: 9,
    bytes: 602,
    storedBytes: 301,
    chunks: 1,
    rejectedRows: 0,
    durationMs: 12.5,
  };
  const rows = metricRows(facts, summaries);
  const find = (column: string | null, metricType: string): MetricRow | undefined =>
    rows.find((r) => r.columnName === column && r.metricType === metricType);

  it('writes the file-level metrics with a null column', () => {
    expect(rows.filter((r) => r.columnName === null)).toEqual([
      { columnName: null, columnIndex: null, metricType: 'row_count', numericValue: 10, textValue: null },
      { columnName: null, columnIndex: null, metricType: 'column_count', numericValue: 9, textValue: null },
      { columnName: null, columnIndex: null, metricType: 'byte_count', numericValue: 602, textValue: null },
      { columnName: null, columnIndex: null, metricType: 'stored_bytes', numericValue: 301, textValue: null },
      {
        columnName: null,
        columnIndex: null,
        metricType: 'compression_ratio',
        numericValue: 0.5,
        textValue: null,
      },
      { columnName: null, columnIndex: null, metricType: 'chunk_count', numericValue: 1, textValue: null },
      {
        columnName: null,
        columnIndex: null,
        metricType: 'rejected_row_count',
        numericValue: 0,
        textValue: null,
      },
      { columnName: null, columnIndex: null, metricType: 'duration_ms', numericValue: 12.5, textValue: null },
    ]);
  });

  it('writes min and max of numeric columns as text and number, of other columns as text only', () => {
    expect(find('price', METRIC_TYPES.MIN)).toEqual({
      columnName: 'price',
      columnIndex: 1,
      metricType: 'min',
      numericValue: -5.5,
      textValue: '-5.5',
    });
    expect(find('id', METRIC_TYPES.MAX)).toMatchObject({ numericValue: 10, textValue: '10' });
    expect(find('born', METRIC_TYPES.MAX)).toMatchObject({ numericValue: null, textValue: '2020-02-29' });
    expect(find('active', METRIC_TYPES.MIN)).toMatchObject({ numericValue: null, textValue: 'false' });
    expect(find('id', METRIC_TYPES.INFERRED_TYPE)).toMatchObject({
      numericValue: null,
      textValue: 'integer',
    });
  });

  it('omits metrics whose value is null', () => {
    expect(find('name', METRIC_TYPES.MEAN)).toBeUndefined();
    expect(find('id', METRIC_TYPES.MEAN)).toMatchObject({ numericValue: 5.5 });
    expect(
      rows.filter((r) => r.columnName === 'blank').map((r) => [r.metricType, r.numericValue ?? r.textValue]),
    ).toEqual([
      ['inferred_type', 'text'],
      ['null_count', 10],
      ['non_null_count', 0],
      ['distinct_estimate', 0],
    ]);
    expect(metricRows({ ...facts, bytes: 0, storedBytes: 0 }, []).map((r) => r.metricType)).not.toContain(
      METRIC_TYPES.COMPRESSION_RATIO,
    );
  });

  it('writes nine metrics for a fully populated column', () => {
    expect(rows.filter((r) => r.columnName === 'id').map((r) => r.metricType)).toEqual([
      'inferred_type',
      'null_count',
      'non_null_count',
      'min',
      'max',
      'mean',
      'min_length',
      'max_length',
      'distinct_estimate',
    ]);
  });
});
