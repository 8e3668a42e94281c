import type { Readable } from 'node:stream';
import { type Dialect, type DialectOverrideName, recordSyntaxOf } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { SAMPLE_BYTES } from './constants.js';
import { crToLf, isCrOnly } from './cr-line-endings.js';
import { bytesOf, gunzip, transcodeToUtf8 } from './decode-input.js';
import { isGzip } from './detect-input.js';
import { inflationCheck } from './inflation-limit.js';
import { RowAlignedSplitter } from './row-aligned-splitter.js';
import type { SniffResult } from './sniff-dialect.js';
import { type HeaderLimits, inProcessSniffer, type Sniffer } from './sniff-steps.js';
import type { ChunkerOptions, ChunkSource, Header, OpenChunks, RawChunk } from './types.js';

/**
 * Sniffs the start of `input` (compression, encoding, dialect, header) and returns the data records as
 * row-aligned chunks of about `options.chunkBytes`, pulled from the input only as fast as they are consumed.
 * Rejects with EMPTY_FILE, NOT_CSV, UNSUPPORTED_ENCODING, UNCLOSED_QUOTE, INVALID_QUOTE or RECORD_TOO_LARGE;
 * on any failure, and when the consumer stops iterating early, the input is destroyed.
 */
export const openChunks: OpenChunks = async (input, options) => {
  validateOptions(options);
  try {
    return await open(input, options);
  } catch (err) {
    input.destroy();
    throw err;
  }
};

async function open(input: Readable, options: ChunkerOptions): Promise<ChunkSource> {
  const sniffer = options.sniffer ?? inProcessSniffer;
  let reader = new ByteReader(bytesOf(input));
  await reader.fill(SAMPLE_BYTES);
  let compression: Dialect['compression'] = 'none';
  if (isGzip(reader.peek())) {
    compression = 'gzip';
    reader = new ByteReader(
      gunzip(
        reader.drain(),
        options.inflation && inflationCheck({ ...options.inflation, ...named(options) }),
      ),
    );
    await reader.fill(SAMPLE_BYTES);
  }

  const overrides = options.overrides ?? {};
  const sniffedFormat = await sniffer.textFormat(reader.peek(), reader.atEnd);
  // An encoding given by the caller wins; a UTF-8 BOM is still not content.
  const format =
    overrides.encoding === undefined
      ? sniffedFormat
      : {
          ...sniffedFormat,
          encoding: overrides.encoding,
          bom: sniffedFormat.bom && overrides.encoding === 'utf-8',
        };
  if (format.skipBytes > 0 && format.encoding === 'utf-8') reader.skip(format.skipBytes);
  if (format.encoding !== 'utf-8') reader = new ByteReader(transcodeToUtf8(reader.drain(), format.encoding));
  // Old Mac exports end lines with CR alone: read as LF, so every later stage sees records end at LF.
  await reader.fill(SAMPLE_BYTES);
  const crOnly = isCrOnly(reader.peek());
  if (crOnly) reader = new ByteReader(crToLf(reader.drain()));

  const { sniffed, header } = await readHeader(reader, sniffer, options);
  const given = (Object.keys(overrides) as DialectOverrideName[]).filter((k) => overrides[k] !== undefined);
  const { syntax } = sniffed;
  const dialect: Dialect = {
    delimiter: syntax.delimiter,
    quote: syntax.quote,
    lineEnding: crOnly ? '\r' : sniffed.lineEnding,
    bom: format.bom,
    encoding: format.encoding,
    compression,
    // The fields a plain RFC 4180 file does not need stay absent, as on rows written before they existed.
    ...(syntax.escape !== syntax.quote && { escape: syntax.escape }),
    ...(syntax.comment !== '' && { comment: syntax.comment }),
    ...(syntax.skipInitialSpace && { skipInitialSpace: true }),
    ...(!sniffed.header && { header: false }),
    ...(sniffed.skipRows > 0 && { skipRows: sniffed.skipRows }),
    ...(given.length > 0 && { overrides: given }),
  };
  const source: ChunkSource = {
    dialect,
    confidence: sniffed.confidence,
    header,
    chunks: chunksOf(reader.drain(), input, dialect, header, options),
  };
  return source;
}

/**
 * Sniffs the dialect on the decoded sample and takes the header record off the front of `reader`, growing
 * the sample (doubling) while it ends inside the header. The sniffing and parsing run in `sniffer` (the
 * worker pool in the pipeline); this thread only reads and joins buffers.
 */
async function readHeader(
  reader: ByteReader,
  sniffer: Sniffer,
  options: ChunkerOptions,
): Promise<{ sniffed: SniffResult; header: Header }> {
  const limits: HeaderLimits = {
    maxRecordBytes: options.maxRecordBytes,
    maxColumns: options.maxColumns ?? Number.POSITIVE_INFINITY,
    maxHeaderBytes: options.maxHeaderBytes ?? Number.POSITIVE_INFINITY,
    ...named(options),
    ...(options.overrides && { overrides: withoutEncoding(options.overrides) }),
    ...(options.lenient && { lenient: true }),
  };
  for (let want = SAMPLE_BYTES; ; want = reader.length * 2) {
    await reader.fill(want);
    const step = await sniffer.header(reader.peek(), reader.atEnd, limits);
    if (step.done) {
      reader.skip(step.sniffed.headerEnd);
      return step;
    }
  }
}

function chunksOf(
  body: AsyncGenerator<Buffer, void, undefined>,
  input: Readable,
  dialect: Dialect,
  header: Header,
  options: ChunkerOptions,
): AsyncIterable<RawChunk> {
  const splitter = new RowAlignedSplitter({
    chunkBytes: options.chunkBytes,
    maxRecordBytes: options.maxRecordBytes,
    syntax: recordSyntaxOf(dialect),
    firstLine: header.lines + 1,
  });
  const ready: Buffer[] = [];
  let index = 0;
  let finished = false;

  const close = async (): Promise<void> => {
    finished = true;
    ready.length = 0;
    input.destroy();
    await body.return();
  };

  const iterator: AsyncIterableIterator<RawChunk> = {
    async next(): Promise<IteratorResult<RawChunk>> {
      try {
        while (ready.length === 0 && !finished) {
          const next = await body.next();
          if (next.done) {
            finished = true;
            const last = splitter.end();
            if (last) ready.push(last);
          } else {
            for (const chunk of splitter.push(next.value)) ready.push(chunk);
          }
        }
      } catch (err) {
        await close();
        throw err;
      }
      const bytes = ready.shift();
      if (!bytes) return { done: true, value: undefined };
      return { done: false, value: { index: index++, bytes } };
    },
    async return(): Promise<IteratorResult<RawChunk>> {
      await close();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

function validateOptions(options: ChunkerOptions): void {
  for (const option of ['chunkBytes', 'maxRecordBytes'] as const) {
    const value = options[option];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new IngestError('INVALID_OPTION', `${option} must be a positive integer, got ${String(value)}`, {
        option,
      });
    }
  }
}

function withoutEncoding(overrides: NonNullable<ChunkerOptions['overrides']>) {
  const { encoding: _, ...rest } = overrides;
  return rest;
}

const named = (options: ChunkerOptions): { name?: string } =>
  options.name !== undefined ? { name: options.name } : {};
