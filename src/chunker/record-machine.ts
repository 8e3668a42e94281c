import type { RecordSyntax } from '../domain/index.js';
import { LF, SPACE } from './constants.js';

/** What one byte did to the record: nothing visible, ended a field, or ended the record (its LF). */
export const STEP = { NONE: 0, FIELD_END: 1, RECORD_END: 2 } as const;

/**
 * The quote rule of every part of ingest, for any record syntax, one byte at a time (the state carries
 * across buffers). It agrees with csv-parse given the same quote, escape, comment and ltrim options:
 * - a quote opens a quoted field only at the start of a field (after a delimiter or a line end, or after
 *   the spaces that follow one when skipInitialSpace); anywhere else it is a literal character;
 * - inside a quoted field the escape character before a quote (or before itself) makes it literal; with
 *   escape = quote that is `""`; any other quote closes the field, and text after it up to the next
 *   delimiter is literal;
 * - outside quotes LF ends a record (CRLF ends with LF too); inside quotes it is field content;
 * - a record that starts with the comment character runs to the next LF, quotes and all.
 * The plain syntax (`"` doubled, no comment) has a faster twin in the splitter's indexOf loop.
 */
export class RecordMachine {
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly doubled: boolean;
  private readonly comment: number;
  private readonly skipSpace: boolean;
  inQuotes = false;
  /** Inside quotes the last byte was the quote (doubled syntax) or the escape: the next byte decides. */
  private pending = false;
  private fieldStart = true;
  private recordStart = true;
  /** The current record is a comment line. */
  inComment = false;
  /** The record that just ended was a comment line. */
  wasComment = false;

  constructor(syntax: RecordSyntax) {
    this.delimiter = syntax.delimiter.charCodeAt(0);
    this.quote = syntax.quote.charCodeAt(0);
    this.escape = syntax.escape.charCodeAt(0);
    this.doubled = syntax.escape === syntax.quote;
    this.comment = syntax.comment === '' ? -1 : syntax.comment.charCodeAt(0);
    this.skipSpace = syntax.skipInitialSpace;
  }

  /** Feeds one byte; returns a STEP. */
  step(byte: number): number {
    if (this.inComment) {
      if (byte !== LF) return STEP.NONE;
      this.inComment = false;
      this.wasComment = true;
      this.fieldStart = true;
      this.recordStart = true;
      return STEP.RECORD_END;
    }
    if (this.inQuotes) {
      if (this.pending) {
        this.pending = false;
        if (this.doubled) {
          if (byte === this.quote) return STEP.NONE;
          this.inQuotes = false; // the pending quote closed the field: `byte` is outside
        } else if (byte === this.quote || byte === this.escape) {
          return STEP.NONE;
        }
      }
      if (this.inQuotes) {
        if (byte === this.quote) {
          if (this.doubled) this.pending = true;
          else this.inQuotes = false;
        } else if (byte === this.escape) {
          this.pending = true;
        }
        return STEP.NONE;
      }
    }
    if (byte === LF) {
      this.wasComment = false;
      this.fieldStart = true;
      this.recordStart = true;
      return STEP.RECORD_END;
    }
    if (this.recordStart && byte === this.comment) {
      this.inComment = true;
      this.recordStart = false;
      return STEP.NONE;
    }
    this.recordStart = false;
    if (byte === this.delimiter) {
      this.fieldStart = true;
      return STEP.FIELD_END;
    }
    if (byte === this.quote && this.fieldStart) {
      this.inQuotes = true;
      this.fieldStart = false;
      return STEP.NONE;
    }
    if (!(byte === SPACE && this.skipSpace && this.fieldStart)) this.fieldStart = false;
    return STEP.NONE;
  }

  /** Inside a quoted field that a quote has not (yet) closed: at end of input, an unclosed quote. */
  get unclosed(): boolean {
    return this.inQuotes && !(this.pending && this.doubled);
  }
}

/**
 * Offset just past the LF that ends the record starting at `start` (a record start), or `bytes.length`
 * when the record runs to the end: where a parser that lost its way in a bad record picks up again.
 */
export function recordEnd(bytes: Uint8Array, start: number, syntax: RecordSyntax): number {
  const machine = new RecordMachine(syntax);
  for (let i = start; i < bytes.length; i++) if (machine.step(bytes[i]!) === STEP.RECORD_END) return i + 1;
  return bytes.length;
}
