import { CR, LF, QUOTE } from './constants.js';

/**
 * The quote rule every part of the chunker shares, chosen to agree with csv-parse (strict or
 * `relax_quotes`) on where records end:
 * - a `"` opens a quoted field only at the start of a field (after a delimiter, or at the start of a record);
 *   anywhere else it is a literal character (csv-parse: INVALID_OPENING_QUOTE, or literal when relaxed);
 * - inside a quoted field, `""` is an escaped quote and any other `"` closes the field;
 * - outside quotes, LF ends a record (CRLF ends with LF too); inside quotes it is field content.
 */

/** What the sniffer needs to know about the records of a sample, for one delimiter. */
export interface SampleScan {
  /** Fields per complete record, in order; blank records (no bytes before the line ending) are skipped. */
  fieldCounts: number[];
  /** Offset just past the first record's LF; the sample length if it ends the input; -1 if the sample cuts it. */
  firstRecordEnd: number;
  /** The first record runs to the end of input inside a quoted field. */
  firstRecordUnclosed: boolean;
  /** Fields of the first record, or of its part in the sample when the sample cuts it. */
  firstRecordFields: number;
}

/**
 * Scans `sample` from `start` (a record start) byte by byte, counting fields per record for `delimiter`.
 * A record cut off by the end of the sample is counted only when `atEnd` (the sample is the whole input).
 * Only used on samples of tens of KiB, so clarity beats the splitter's indexOf jumps here.
 */
export function scanSample(
  sample: Buffer,
  start: number,
  delimiter: number,
  atEnd: boolean,
  maxRecords: number,
): SampleScan {
  const fieldCounts: number[] = [];
  let firstRecordEnd = -1;
  let inQuotes = false;
  let quotePending = false; // inside quotes, the previous byte was a `"`: escape or close, decided by this byte
  let fields = 1;
  let firstRecordFields = -1;
  let recordStart = start;
  let previous = LF;
  for (let i = start; i < sample.length; i++) {
    const byte = sample[i]!;
    if (inQuotes) {
      if (!quotePending) {
        if (byte === QUOTE) quotePending = true;
        previous = byte;
        continue;
      }
      quotePending = false;
      if (byte === QUOTE) {
        previous = byte;
        continue;
      }
      inQuotes = false;
    }
    if (byte === QUOTE) {
      if (previous === LF || previous === delimiter) inQuotes = true;
    } else if (byte === delimiter) {
      fields++;
    } else if (byte === LF) {
      const end = i + 1;
      if (!isBlankRecord(sample, recordStart, end)) fieldCounts.push(fields);
      if (firstRecordEnd < 0) {
        firstRecordEnd = end;
        firstRecordFields = fields;
      }
      fields = 1;
      recordStart = end;
      if (fieldCounts.length >= maxRecords)
        return { fieldCounts, firstRecordEnd, firstRecordUnclosed: false, firstRecordFields };
    }
    previous = byte;
  }
  const unclosed = inQuotes && !quotePending;
  if (firstRecordFields < 0) firstRecordFields = fields;
  if (atEnd && recordStart < sample.length) {
    if (!isBlankRecord(sample, recordStart, sample.length)) fieldCounts.push(fields);
    if (firstRecordEnd < 0) {
      return {
        fieldCounts,
        firstRecordEnd: sample.length,
        firstRecordUnclosed: unclosed,
        firstRecordFields,
      };
    }
  }
  return { fieldCounts, firstRecordEnd, firstRecordUnclosed: false, firstRecordFields };
}

/** A record with no content: only its line ending (LF, CRLF) or nothing at all. */
function isBlankRecord(sample: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = sample[i]!;
    if (byte !== LF && byte !== CR) return false;
  }
  return true;
}

/** Offset of the first line with content: leading blank lines (only CR/LF) are skipped. */
export function skipBlankLines(sample: Buffer): number {
  let at = 0;
  for (;;) {
    const newline = sample.indexOf(LF, at);
    if (newline < 0 || !isBlankRecord(sample, at, newline + 1)) return at;
    at = newline + 1;
  }
}
