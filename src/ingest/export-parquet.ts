import type { Writable } from 'node:stream';
import type { SchemaElement } from 'hyparquet-writer';
import type pg from 'pg';
import { type FileRecord, listFileMetrics, withTenant } from '../db/index.js';
import type { ColumnType } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { ObjectStore } from '../storage/index.js';
import { firstEvent } from '../wait-for-event.js';
import { pickColumns, readRecordBatches } from './file-records.js';
import { booleanOf, daysOf, microsOf, wideIntegerColumns } from './typed-values.js';

type ParquetValue = string | number | bigint | boolean | null;

interface ParquetColumn {
  element: SchemaElement;
  convert: (text: string) => ParquetValue;
}

/**
 * The Parquet column of each inferred type: integer INT64 (an integer wider than 64 bits stays a
 * string), decimal DOUBLE, boolean BOOLEAN, date DATE, timestamp TIMESTAMP(MICROS, UTC: a value without
 * an offset is UTC), text STRING. Every column is optional: an empty CSV value is null.
 */
function parquetColumn(name: string, type: ColumnType, wide: boolean): ParquetColumn {
  const optional = { name, repetition_type: 'OPTIONAL' } as const;
  switch (wide ? 'text' : type) {
    case 'integer':
      return { element: { ...optional, type: 'INT64' }, convert: (t) => BigInt(t) };
    case 'decimal':
      return { element: { ...optional, type: 'DOUBLE' }, convert: Number };
    case 'boolean':
      return { element: { ...optional, type: 'BOOLEAN' }, convert: booleanOf };
    case 'date':
      return {
        element: { ...optional, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
        convert: daysOf,
      };
    case 'timestamp':
      return {
        element: {
          ...optional,
          type: 'INT64',
          converted_type: 'TIMESTAMP_MICROS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
        },
        convert: microsOf,
      };
    default:
      return {
        element: {
          ...optional,
          type: 'BYTE_ARRAY',
          converted_type: 'UTF8',
          logical_type: { type: 'STRING' },
        },
        convert: (t) => t,
      };
  }
}

/**
 * Writes a range of a ready file's rows to `out` as Parquet, typed from the inferred column types, with
 * hyparquet-writer: one row group per LIMITS.parquetRowGroupRows rows, each sent to `out` (with
 * backpressure) before the next is read, so memory holds one row group whatever the file size. `out` is
 * not ended. Archived files read from their archive object like every other reader.
 */
export async function exportParquet(
  pool: pg.Pool,
  store: ObjectStore,
  file: FileRecord,
  out: Writable,
  options: { offset?: number; limit?: number; columns?: readonly string[] } = {},
): Promise<void> {
  const { names, indices } = pickColumns(file, options.columns);
  const types = file.columns!;
  const metrics = await withTenant(pool, file.organizationId, (db) => listFileMetrics(db, file.id));
  const wide = wideIntegerColumns(metrics);
  const columns = indices.map((i, k) => parquetColumn(names[k]!, types[i]!.type, wide.has(i)));
  // Loaded on first use: commands that never write Parquet do not pay for loading the writer.
  const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
  const bytes = new ByteWriter();
  const writer = new ParquetWriter({
    writer: bytes,
    schema: [{ name: 'root', num_children: columns.length }, ...columns.map((c) => c.element)],
    createdBy: 'ingest (hyparquet-writer)',
  });

  const send = async (): Promise<void> => {
    if (bytes.index === 0) return;
    // The writer reuses its buffer once its index is reset: copy what it holds out first.
    const piece = Buffer.from(new Uint8Array(bytes.buffer, 0, bytes.index));
    bytes.index = 0;
    if (!out.destroyed && !out.write(piece)) await firstEvent(out, ['drain', 'close']);
    if (out.destroyed)
      throw new IngestError('CANCELLED', `the Parquet export of file ${file.id} was closed early`);
  };
  let group: ParquetValue[][] = columns.map(() => []);
  let rows = 0;
  const flushGroup = async (): Promise<void> => {
    if (rows === 0) return;
    await writer.write({
      columnData: columns.map((c, k) => ({ name: c.element.name, data: group[k]! })),
      rowGroupSize: rows,
    });
    group = columns.map(() => []);
    rows = 0;
    await send();
  };

  const range = { offset: options.offset ?? 0, ...(options.limit !== undefined && { limit: options.limit }) };
  for await (const batch of readRecordBatches(pool, store, file, range)) {
    for (const record of batch) {
      for (let k = 0; k < columns.length; k++) {
        const text = record[indices[k]!]!;
        group[k]!.push(text === '' ? null : columns[k]!.convert(text));
      }
      if (++rows >= LIMITS.parquetRowGroupRows) await flushGroup();
    }
  }
  await flushGroup();
  await writer.finish();
  await send();
}
