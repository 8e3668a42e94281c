import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { IngestError } from '../src/errors.js';

const base = { INGEST_HOME: '/tmp/unused' };

describe('config: content limits', () => {
  it('defaults to 2,000 columns, 1 MiB headers, 18,008 metric rows, 64 GiB and 100x past 64 MiB inflated', () => {
    expect(loadConfig(base).contentLimits).toEqual({
      maxColumns: 2000,
      maxHeaderBytes: 1024 * 1024,
      maxMetricRows: 18_008,
      maxInflatedBytes: 64 * 1024 ** 3,
      maxInflationRatio: 100,
      inflationRatioFloorBytes: 64 * 1024 * 1024,
    });
  });

  it('derives the metric-row cap from the column cap unless it is set', () => {
    expect(loadConfig({ ...base, INGEST_MAX_COLUMNS: '100' }).contentLimits.maxMetricRows).toBe(908);
    const set = loadConfig({ ...base, INGEST_MAX_COLUMNS: '100', INGEST_MAX_METRIC_ROWS: '50' });
    expect(set.contentLimits.maxMetricRows).toBe(50);
    const sized = loadConfig({
      ...base,
      INGEST_MAX_INFLATED_BYTES: '2GB',
      INGEST_INFLATION_RATIO_FLOOR: '0',
    });
    expect(sized.contentLimits.maxInflatedBytes).toBe(2 * 1024 ** 3);
    expect(sized.contentLimits.inflationRatioFloorBytes).toBe(0);
  });

  it('refuses a bad value naming the variable', () => {
    for (const [name, value] of [
      ['INGEST_MAX_COLUMNS', 'many'],
      ['INGEST_MAX_COLUMNS', '0'],
      ['INGEST_MAX_INFLATION_RATIO', '1.5'],
      ['INGEST_MAX_INFLATED_BYTES', 'huge'],
    ] as const) {
      const error = (() => {
        try {
          loadConfig({ ...base, [name]: value });
          return undefined;
        } catch (err) {
          return err;
        }
      })();
      expect(error).toBeInstanceOf(IngestError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', context: { option: name } });
    }
  });
});
