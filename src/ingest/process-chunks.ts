import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { type ChunkSource, openChunks } from '../chunker/index.js';
import type { ChunkWriter, RejectedRowRecord } from '../db/index.js';
import { recordSyntaxOf } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { type ContentLimits, LIMITS, metricRowsFor } from '../limits.js';
import { StatsAccumulator, type StatsSnapshot } from '../metrics/index.js';
import { type ChunkPool, type ChunkResult, transferableBuffer, workerSniffer } from '../workers/index.js';
import { READ_CHUNK, type ReceivedUpload } from './receive-upload.js';
import type { IngestOptions } from './types.js';

export interface ProcessedChunks {
  source: Omit<ChunkSource, 'chunks'>;
  rows: number;
  chunks: number;
  storedBytes: number;
  rejectedCount: number;
  /** Rows the lenient policy kept after a repair; recorded among `rejected`, marked kept. */
  repairedCount: number;
  /** The first LIMITS.maxRecordedRejections rejected (or repaired) rows, with absolute line numbers. */
  rejected: RejectedRowRecord[];
  stats: StatsSnapshot;
}

export interface ChunkSettings {
  chunkBytes: number;
  maxRecordBytes: number;
  gzipLevel: number;
}

/**
 * The parallel middle of the pipeline: chunker -> worker pool -> COPY writer.
 *
 * The main thread only splits and moves buffers; workers parse, validate, gather statistics and gzip.
 * At most `2 x threads` chunks are in flight, and results are consumed in file order, so row and line
 * numbers are known exactly and a slow database stalls the reader (backpressure end to end).
 */
export async function processChunks(
  upload: ReceivedUpload,
  workers: ChunkPool,
  writer: ChunkWriter,
  settings: ChunkSettings,
  options: IngestOptions,
  limits: ContentLimits,
): Promise<ProcessedChunks> {
  let bytesRead = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytesRead += chunk.length;
      options.onProgress?.({ bytes: bytesRead, totalBytes: upload.bytes, phase: 'processing' });
      done(null, chunk);
    },
  });
  const file = createReadStream(upload.path, { highWaterMark: READ_CHUNK, signal: options.signal });
  // pipe() does not forward errors: without this, an abort (signal) would leave the chunker waiting forever.
  file.on('error', (err) => counter.destroy(err));
  const input = file.pipe(counter);
  const context = { file: upload.filename, organization: options.organization.slug };
  const source = await openChunks(input, {
    chunkBytes: settings.chunkBytes,
    maxRecordBytes: settings.maxRecordBytes,
    maxColumns: limits.maxColumns,
    maxHeaderBytes: limits.maxHeaderBytes,
    inflation: {
      maxBytes: limits.maxInflatedBytes,
      maxRatio: limits.maxInflationRatio,
      ratioFloorBytes: limits.inflationRatioFloorBytes,
      compressedBytes: upload.bytes,
    },
    sniffer: workerSniffer(workers),
    name: upload.filename,
    ...(options.dialect && { overrides: options.dialect }),
    ...(options.onError === 'lenient' && { lenient: true }),
  });
  if (options.onError === 'lenient') source.dialect.rows = 'lenient';
  const syntax = recordSyntaxOf(source.dialect);
  const columnCount = source.header.names.length;
  try {
    checkMetricRows(columnCount, limits, context);
  } catch (err) {
    input.destroy();
    throw err;
  }
  const onError = options.onError ?? 'strict';

  const stats = new StatsAccumulator(columnCount);
  let rows = 0;
  let lineOffset = source.header.lines;
  let storedBytes = 0;
  let chunks = 0;
  let rejectedCount = 0;
  let repairedCount = 0;
  const rejected: RejectedRowRecord[] = [];
  // Lenient policy: a second table began (after a blank line) at this absolute line; later rows are not rows.
  let tableEndedAt: number | undefined;

  const consume = async (index: number, result: ChunkResult): Promise<void> => {
    if (result.error) {
      const line = lineOffset + result.error.line;
      throw new IngestError(result.error.code, `${upload.filename}: line ${line}: ${result.error.message}`, {
        ...context,
        line,
      });
    }
    if (tableEndedAt !== undefined) {
      // The chunk's bytes are kept (export gives the file back whole); its records belong to no table.
      await writer.write({
        chunkIndex: index,
        firstRow: rows + 1,
        rowCount: 0,
        rawBytes: result.rawBytes,
        compressedBytes: result.payload.byteLength,
        xxh64: result.xxh64,
        payload: Buffer.from(result.payload),
      });
      lineOffset += result.lines;
      storedBytes += result.payload.byteLength;
      chunks++;
      return;
    }
    rejectedCount += result.rejectedCount;
    repairedCount += result.repairedCount ?? 0;
    for (const r of result.rejected) {
      if (rejected.length >= LIMITS.maxRecordedRejections) break;
      rejected.push({ ...r, line: lineOffset + r.line, kept: r.kept === true });
    }
    if (result.tableEnd !== undefined) {
      tableEndedAt = lineOffset + result.tableEnd;
      if (rejected.length < LIMITS.maxRecordedRejections) {
        rejected.push({
          line: tableEndedAt,
          code: 'SECOND_TABLE',
          reason:
            'a blank line, then records of another width: another table starts here; only the first table was loaded',
          raw: '',
          kept: false,
        });
      }
    }
    if (options.maxErrors !== undefined && rejectedCount > options.maxErrors) {
      const first = rejected[0];
      throw new IngestError(
        'TOO_MANY_ERRORS',
        `${upload.filename}: more than ${options.maxErrors} rows rejected (first at line ${first?.line}: ${first?.reason})`,
        { ...context, line: first?.line, rejected: rejectedCount },
      );
    }
    const payload = Buffer.from(result.payload);
    await writer.write({
      chunkIndex: index,
      firstRow: rows + 1,
      rowCount: result.rows,
      rawBytes: result.rawBytes,
      compressedBytes: payload.length,
      xxh64: result.xxh64,
      payload,
    });
    await stats.add(result.stats);
    rows += result.rows;
    lineOffset += result.lines;
    storedBytes += payload.length;
    chunks++;
  };

  const maxInFlight = workers.threads * 2;
  const inFlight: { index: number; result: Promise<ChunkResult> }[] = [];
  try {
    for await (const chunk of source.chunks) {
      const result = workers.run({
        buffer: transferableBuffer(chunk.bytes),
        delimiter: source.dialect.delimiter,
        syntax,
        columnCount,
        onError,
        gzipLevel: settings.gzipLevel,
        maxRecordBytes: settings.maxRecordBytes,
      });
      // Avoid an unhandled rejection while earlier chunks are still being awaited.
      result.catch(() => undefined);
      inFlight.push({ index: chunk.index, result });
      if (inFlight.length >= maxInFlight) {
        const head = inFlight.shift()!;
        await consume(head.index, await head.result);
      }
    }
    while (inFlight.length > 0) {
      const head = inFlight.shift()!;
      await consume(head.index, await head.result);
    }
  } catch (err) {
    input.destroy();
    await Promise.allSettled(inFlight.map((f) => f.result));
    if (err instanceof IngestError) throw err.withContext(context);
    if (options.signal?.aborted)
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`, context, {
        cause: err,
      });
    throw err;
  }

  return {
    source: { dialect: source.dialect, confidence: source.confidence, header: source.header },
    rows,
    chunks,
    storedBytes,
    rejectedCount,
    repairedCount,
    rejected,
    stats: stats.snapshot(),
  };
}

/**
 * Refuses, before any chunk is parsed, a file whose columns would write more metric rows than allowed:
 * the column count alone bounds them (METRIC_ROWS per file and per column), so the refusal costs nothing
 * and never leaves a file whose metrics were cut short.
 */
function checkMetricRows(
  columns: number,
  limits: ContentLimits,
  context: { file: string; organization: string },
): void {
  const rows = metricRowsFor(columns);
  if (rows <= limits.maxMetricRows) return;
  throw new IngestError(
    'TOO_MANY_METRIC_ROWS',
    `${context.file} has ${columns} columns, which write up to ${rows} metric rows, more than the maximum of ${limits.maxMetricRows} (INGEST_MAX_METRIC_ROWS)`,
    { ...context, columns, metricRows: rows, maxMetricRows: limits.maxMetricRows },
  );
}
