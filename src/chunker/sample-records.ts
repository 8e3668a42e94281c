import type { RecordSyntax } from '../domain/index.js';
import { CR, LF } from './constants.js';
import { RecordMachine, STEP } from './record-machine.js';

/** One record of a sample, as the sniffer sees it. */
export interface SampleRecord {
  /** Byte offsets: the record's first byte, and just past its LF (or the end of input). */
  start: number;
  end: number;
  /** Unquoted, unescaped cell texts; empty for a comment line or a blank line. */
  cells: string[];
  comment: boolean;
  /** Only a line ending (LF, CRLF): no record. */
  blank: boolean;
  /** Cells quoted by the rule and closed at their end: evidence for the candidate's quote and escape. */
  wellQuoted: number;
  /** Cells with text after their closing quote: evidence against it. */
  malformed: number;
}

/** The records of a sample and, when the sample cuts one off, what is known of it. */
export interface SampleRecords {
  records: SampleRecord[];
  /** The record the sample ends inside (read more), with its fields so far; null when none is cut. */
  cut: { start: number; fields: number; unclosed: boolean } | null;
}

/**
 * Splits `sample` from `start` (a record start) into at most `maxRecords` records under `syntax`, with the
 * one quote rule (record-machine.ts). A record cut off by the end of the sample is complete only when
 * `atEnd` (the sample is the whole input).
 */
export function sampleRecords(
  sample: Buffer,
  start: number,
  syntax: RecordSyntax,
  atEnd: boolean,
  maxRecords: number,
): SampleRecords {
  const machine = new RecordMachine(syntax);
  const quote = syntax.quote;
  const records: SampleRecord[] = [];
  let recordStart = start;
  let fieldStart = start;
  let cells: string[] = [];
  let wellQuoted = 0;
  let malformed = 0;
  const escapedPair = new RegExp(
    `${escapeRegExp(syntax.escape)}[${escapeRegExp(quote + syntax.escape)}]`,
    'g',
  );
  const cell = (from: number, to: number): string => {
    let text = sample.toString('utf8', from, to);
    if (syntax.skipInitialSpace) text = text.replace(/^ +/, '');
    if (text.startsWith(quote)) {
      const close = text.lastIndexOf(quote);
      const inner = close > 0 ? text.slice(1, close) + text.slice(close + 1) : text.slice(1);
      // Closed at its end, with every quote inside it escaped: the candidate explains this cell.
      if (close === text.length - 1 && close > 0 && !inner.replace(escapedPair, '').includes(quote))
        wellQuoted++;
      else malformed++;
      return inner.replace(escapedPair, (pair) => pair.slice(1));
    }
    return text;
  };
  for (let i = start; i < sample.length; i++) {
    const step = machine.step(sample[i]!);
    if (step === STEP.FIELD_END) {
      cells.push(cell(fieldStart, i));
      fieldStart = i + 1;
    } else if (step === STEP.RECORD_END) {
      const comment = machine.wasComment;
      const contentEnd = i > recordStart && sample[i - 1] === CR ? i - 1 : i;
      const blank = !comment && contentEnd === recordStart && cells.length === 0;
      if (!comment && !blank) cells.push(cell(fieldStart, contentEnd));
      records.push({
        start: recordStart,
        end: i + 1,
        cells: comment || blank ? [] : cells,
        comment,
        blank,
        wellQuoted,
        malformed,
      });
      cells = [];
      wellQuoted = 0;
      malformed = 0;
      recordStart = i + 1;
      fieldStart = i + 1;
      if (records.length >= maxRecords) return { records, cut: null };
    }
  }
  if (recordStart >= sample.length) return { records, cut: null };
  if (!atEnd) return { records, cut: { start: recordStart, fields: cells.length + 1, unclosed: false } };
  const comment = machine.inComment;
  if (!comment) cells.push(cell(fieldStart, sample.length));
  const blank = !comment && isLineEnding(sample, recordStart, sample.length);
  records.push({
    start: recordStart,
    end: sample.length,
    cells: comment || blank ? [] : cells,
    comment,
    blank,
    wellQuoted,
    malformed,
  });
  return {
    records,
    cut: machine.unclosed ? { start: recordStart, fields: cells.length, unclosed: true } : null,
  };
}

function isLineEnding(sample: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (sample[i] !== LF && sample[i] !== CR) return false;
  return true;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
}
