import type { Readable } from 'node:stream';
import type { Dialect } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { CR, LF, SAMPLE_BYTES, SPACE, TAB } from './constants.js';
import { bytesOf, gunzip, transcodeToUtf8 } from './decode-input.js';
import { detectTextFormat, isGzip } from './detect-input.js';
import { parseHeader } from './header.js';
import { skipBlankLines } from './record-scanner.js';
import { RowAlignedSplitter } from './row-aligned-splitter.js';
import { type SniffResult, sniffDialect } from './sniff-dialect.js';
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
  let reader = new ByteReader(bytesOf(input));
  await reader.fill(SAMPLE_BYTES);
  let compression: Dialect['compression'] = 'none';
  if (isGzip(reader.peek())) {
    compression = 'gzip';
    reader = new ByteReader(gunzip(reader.drain()));
    await reader.fill(SAMPLE_BYTES);
  }

  const format = detectTextFormat(reader.peek(), reader.atEnd);
  if (format.skipBytes > 0) reader.skip(format.skipBytes);
  if (format.encoding !== 'utf-8') reader = new ByteReader(transcodeToUtf8(reader.drain(), format.encoding));

  const { sniffed, header } = await readHeader(reader, options);
  const dialect: Dialect = {
    delimiter: sniffed.delimiter,
    quote: '"',
    lineEnding: sniffed.lineEnding,
    bom: format.bom,
    encoding: format.encoding,
    compression,
  };
  return { dialect, header, chunks: chunksOf(reader.drain(), input, dialect, header, options) };
}

/**
 * Sniffs the dialect on the decoded sample and takes the header record off the front of `reader`, growing
 * the sample (doubling) while it ends inside the header.
 */
async function readHeader(
  reader: ByteReader,
  options: ChunkerOptions,
): Promise<{ sniffed: SniffResult; header: Header }> {
  for (let want = SAMPLE_BYTES; ; want = reader.length * 2) {
    await reader.fill(want);
    const sample = reader.peek();
    if (reader.atEnd && isBlank(sample)) {
      throw new IngestError('EMPTY_FILE', 'the file has no records, only blank lines or white space');
    }
    const start = skipBlankLines(sample);
    if (start < sample.length) {
      const sniffed = sniffDialect(sample, start, reader.atEnd);
      if (sniffed.headerUnclosed) {
        const line = lineOf(sample, start);
        throw new IngestError(
          'UNCLOSED_QUOTE',
          `the header on line ${line} has a quote that is never closed`,
          { line },
        );
      }
      if (sniffed.headerEnd >= 0) {
        if (sniffed.headerEnd - start > options.maxRecordBytes) throw headerTooLarge(sample, start, options);
        const header = parseHeader(
          Buffer.from(sample.subarray(0, sniffed.headerEnd)),
          start,
          sniffed.delimiter,
        );
        reader.skip(sniffed.headerEnd);
        return { sniffed, header };
      }
    }
    // Blank lines before the header count towards its size, so a file of nothing but newlines stays bounded too.
    if (sample.length > options.maxRecordBytes) throw headerTooLarge(sample, start, options);
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
    delimiter: dialect.delimiter,
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

function headerTooLarge(sample: Buffer, start: number, options: ChunkerOptions): IngestError {
  const line = lineOf(sample, start);
  return new IngestError(
    'RECORD_TOO_LARGE',
    `the header record on line ${line} is larger than the maximum record size of ${options.maxRecordBytes} bytes` +
      ' (is a quote left open?)',
    { line, maxRecordBytes: options.maxRecordBytes },
  );
}

/** Only white space: spaces, tabs and line endings. */
function isBlank(sample: Buffer): boolean {
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i]!;
    if (byte !== SPACE && byte !== TAB && byte !== LF && byte !== CR) return false;
  }
  return true;
}

/** 1-based physical line of byte `offset`. */
function lineOf(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let at = bytes.indexOf(LF); at !== -1 && at < offset; at = bytes.indexOf(LF, at + 1)) line++;
  return line;
}
