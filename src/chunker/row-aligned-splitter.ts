import type { RecordSyntax } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { LF } from './constants.js';
import { RecordMachine, STEP } from './record-machine.js';

export interface SplitterOptions {
  /** Target chunk size in bytes: a chunk ends right after the first record end at which it is at least this long. */
  chunkBytes: number;
  /** A record longer than this (line ending included) fails with RECORD_TOO_LARGE. */
  maxRecordBytes: number;
  syntax: RecordSyntax;
  /** 1-based physical line of the first byte fed in (the line after the header), for error messages. */
  firstLine: number;
}

/**
 * Cuts a UTF-8 byte stream of whole records into chunks that end at record boundaries, with the quote rule
 * of record-machine.ts; quote state carries across input buffers. Feed buffers with `push`, then call `end`.
 *
 * Hot path: instead of visiting every byte it jumps between the next `"` and the next LF with
 * Buffer.indexOf (memchr), several times faster than a byte loop in JavaScript. Every LF is still seen
 * once, which keeps the current record's start (for maxRecordBytes) and line number exact for free.
 *
 * Input buffers are kept as slices until a chunk completes, then copied once into a chunk-sized buffer that
 * owns its memory, so a chunk can be transferred to a worker without dragging a shared pool buffer along.
 * Memory is bounded by chunkBytes + maxRecordBytes + one input buffer.
 *
 * That jump loop knows the doubled-quote syntax only (any quote character). A file with a backslash
 * escape, comment lines or spaces before quotes goes byte by byte through RecordMachine, the rule itself.
 */
export class RowAlignedSplitter {
  private readonly chunkBytes: number;
  private readonly maxRecordBytes: number;
  private readonly delimiter: number;
  private readonly quote: number;
  /** The byte-by-byte rule, for a syntax the jump loop does not know; null on the fast path. */
  private readonly machine: RecordMachine | null;

  private parts: Buffer[] = [];
  private partsLength = 0;
  private inQuotes = false;
  /** Inside quotes the last byte was a `"`; the next byte decides between `""` (escape) and a closing quote. */
  private quotePending = false;
  /** Last byte of the previous buffer: a `"` at offset 0 opens a field only if this is a delimiter or LF. */
  private previousByte = LF;
  /** Stream offset of the current buffer's first byte. */
  private offset = 0;
  private recordStart = 0;
  private readonly firstLine: number;
  /** LFs fed so far, inside quotes too: physical lines. */
  private lineFeeds = 0;
  private recordStartLineFeeds = 0;

  constructor(options: SplitterOptions) {
    this.chunkBytes = options.chunkBytes;
    this.maxRecordBytes = options.maxRecordBytes;
    const { syntax } = options;
    this.delimiter = syntax.delimiter.charCodeAt(0);
    this.quote = syntax.quote.charCodeAt(0);
    const jumpable = syntax.escape === syntax.quote && syntax.comment === '' && !syntax.skipInitialSpace;
    this.machine = jumpable ? null : new RecordMachine(syntax);
    this.firstLine = options.firstLine;
  }

  /** Feeds the next input buffer; returns the chunks it completes, in order (most often none or one). */
  push(buffer: Buffer): Buffer[] {
    const completed: Buffer[] = [];
    const length = buffer.length;
    if (length === 0) return completed;
    if (this.machine) return this.pushByBytes(buffer, this.machine);
    const { chunkBytes, maxRecordBytes, delimiter, quote: QUOTE } = this;
    let inQuotes = this.inQuotes;
    let quotePending = this.quotePending;
    let lineFeeds = this.lineFeeds;
    let position = 0;
    let sliceStart = 0;
    // Next `"` and LF at or after `position`, or -1 when the buffer has none left.
    let nextQuote = buffer.indexOf(QUOTE);
    let nextLf = buffer.indexOf(LF);

    for (;;) {
      if (quotePending) {
        if (position >= length) break;
        quotePending = false;
        if (buffer[position] === QUOTE) {
          position++;
          continue;
        }
        inQuotes = false;
      }
      if (nextQuote !== -1 && nextQuote < position) nextQuote = buffer.indexOf(QUOTE, position);

      if (inQuotes) {
        const stop = nextQuote === -1 ? length : nextQuote;
        // LFs inside a quoted field are physical lines but not record ends.
        while (nextLf !== -1 && nextLf < stop) {
          lineFeeds++;
          nextLf = buffer.indexOf(LF, nextLf + 1);
        }
        if (nextQuote === -1) break;
        position = nextQuote + 1;
        quotePending = true;
        continue;
      }

      if (nextLf !== -1 && (nextQuote === -1 || nextLf < nextQuote)) {
        const end = nextLf + 1;
        lineFeeds++;
        const recordEnd = this.offset + end;
        if (recordEnd - this.recordStart > maxRecordBytes) throw this.tooLarge(false);
        this.recordStart = recordEnd;
        this.recordStartLineFeeds = lineFeeds;
        if (this.partsLength + end - sliceStart >= chunkBytes) {
          completed.push(this.takeChunk(buffer.subarray(sliceStart, end)));
          sliceStart = end;
        }
        position = end;
        nextLf = buffer.indexOf(LF, end);
        continue;
      }

      if (nextQuote === -1) break;
      const before = nextQuote === 0 ? this.previousByte : buffer[nextQuote - 1];
      if (before === LF || before === delimiter) inQuotes = true;
      position = nextQuote + 1;
      nextQuote = buffer.indexOf(QUOTE, position);
    }

    if (sliceStart < length) {
      this.parts.push(sliceStart === 0 ? buffer : buffer.subarray(sliceStart));
      this.partsLength += length - sliceStart;
    }
    this.inQuotes = inQuotes;
    this.quotePending = quotePending;
    this.lineFeeds = lineFeeds;
    this.previousByte = buffer[length - 1]!;
    this.offset += length;
    // Fail as soon as the unfinished record is too long, before buffering any more of it.
    if (this.offset - this.recordStart > maxRecordBytes) throw this.tooLarge(inQuotes);
    return completed;
  }

  /** push() for a syntax the jump loop does not know: every byte through the rule. */
  private pushByBytes(buffer: Buffer, machine: RecordMachine): Buffer[] {
    const completed: Buffer[] = [];
    const { chunkBytes, maxRecordBytes } = this;
    const length = buffer.length;
    let lineFeeds = this.lineFeeds;
    let sliceStart = 0;
    for (let i = 0; i < length; i++) {
      const byte = buffer[i]!;
      if (byte !== LF) {
        machine.step(byte);
        continue;
      }
      lineFeeds++;
      if (machine.step(byte) !== STEP.RECORD_END) continue;
      const end = i + 1;
      const recordEnd = this.offset + end;
      if (recordEnd - this.recordStart > maxRecordBytes) {
        this.lineFeeds = lineFeeds;
        throw this.tooLarge(false);
      }
      this.recordStart = recordEnd;
      this.recordStartLineFeeds = lineFeeds;
      if (this.partsLength + end - sliceStart >= chunkBytes) {
        completed.push(this.takeChunk(buffer.subarray(sliceStart, end)));
        sliceStart = end;
      }
    }
    if (sliceStart < length) {
      this.parts.push(sliceStart === 0 ? buffer : buffer.subarray(sliceStart));
      this.partsLength += length - sliceStart;
    }
    this.lineFeeds = lineFeeds;
    this.offset += length;
    if (this.offset - this.recordStart > maxRecordBytes) throw this.tooLarge(machine.inQuotes);
    return completed;
  }

  /** Ends the input; returns the last chunk (whatever follows the last record end), or null if nothing is left. */
  end(): Buffer | null {
    return this.partsLength === 0 ? null : this.takeChunk(Buffer.alloc(0));
  }

  private takeChunk(last: Buffer): Buffer {
    const chunk = Buffer.allocUnsafeSlow(this.partsLength + last.length);
    let at = 0;
    for (const part of this.parts) {
      chunk.set(part, at);
      at += part.length;
    }
    chunk.set(last, at);
    this.parts = [];
    this.partsLength = 0;
    return chunk;
  }

  private tooLarge(inQuotes: boolean): IngestError {
    const line = this.firstLine + this.recordStartLineFeeds;
    return new IngestError(
      'RECORD_TOO_LARGE',
      `the record starting on line ${line} is larger than the maximum record size of ${this.maxRecordBytes} bytes` +
        (inQuotes ? ' (a quoted field may be missing its closing quote)' : ''),
      { line, maxRecordBytes: this.maxRecordBytes },
    );
  }
}
