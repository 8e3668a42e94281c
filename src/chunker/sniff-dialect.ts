import type { DialectOverrides, RecordSyntax } from '../domain/index.js';
import { cellTypes, isDecimalComma, isValueLike } from './cell-types.js';
import { CR, DELIMITER_CANDIDATES, LF, SNIFF_MAX_RECORDS } from './constants.js';
import { type SampleRecord, sampleRecords } from './sample-records.js';

/** What the sniffer decided, and where the table starts in the sample. */
export interface SniffResult {
  syntax: RecordSyntax;
  lineEnding: '\n' | '\r\n';
  /** The first record names the columns. */
  header: boolean;
  /** Offset of the table's first record (header or data), after skipped lines, blank and comment lines. */
  tableStart: number;
  /** Offset just past the header record (tableStart without a header); -1 when the sample cuts it (read more). */
  headerEnd: number;
  /** The header runs to the end of input inside a quoted field. */
  headerUnclosed: boolean;
  /** Fields of the first table record (of its part in the sample while headerEnd is -1). */
  headerFields: number;
  /** Fields most data records of the sample have: the table's width for the lenient policy. */
  width: number;
  /** Lines before the table that are not blank: preamble and title rows (and --skip-rows). */
  skipRows: number;
  /** 0-1: the winner's score over the sum of its and the runner-up's (0.5: a coin toss, 1: no contest). */
  confidence: number;
}

/** What the caller fixed; the sniffer decides the rest. */
export type SniffOverrides = Omit<DialectOverrides, 'encoding'>;

interface Candidate {
  syntax: RecordSyntax;
  records: SampleRecord[];
  score: number;
}

/** Records scored per candidate: enough to see a pattern; a 100 MB file still reads only its sample. */
const SCORE_RECORDS = 200;
/** A sniffed preamble is at most this many records: a report's title block, not half the table. */
const MAX_PREAMBLE_RECORDS = 20;
/** A pattern of one field scores this instead of 0 (CleverCSV's alpha): one-column files still rank. */
const ONE_FIELD_WEIGHT = 1e-3;

/**
 * Chooses the dialect by consistency, the approach CleverCSV published (Van den Burg, Nazabal and Sutton,
 * "Wrangling messy CSV files by detecting row and type patterns", 2019): every candidate (delimiter x
 * quote x escape x comment x spaces after delimiters) cuts the sample into records with the one quote
 * rule, and scores pattern consistency (rows agreeing on a field count, more fields better) times the
 * share of cells that look like a value of a known kind. The best wins; ties go to the earlier candidate
 * (`,` `;` TAB `|` space; `"` before `'`; doubled quotes before backslash). Records are never split to
 * guess: every candidate reads whole records. Then, on the winner: the table's width (what most records
 * agree on), preamble rows before it (narrower, nearly empty), and whether its first record is a header
 * (its cells are names where the columns below hold numbers or dates). Overrides fix any of these.
 * @param atEnd the sample is the whole input
 */
export function sniffDialect(sample: Buffer, atEnd: boolean, overrides: SniffOverrides = {}): SniffResult {
  const skipped = overrides.headerRow !== undefined ? overrides.headerRow - 1 : (overrides.skipRows ?? 0);
  const start = skipBlankLines(sample, skipLines(sample, 0, skipped));
  const candidates = candidateSyntaxes(sample, start, overrides).map((syntax) =>
    score(syntax, sample, start, atEnd),
  );
  // Space separates words in text too: it is the delimiter only when no other candidate splits records.
  const splitting = candidates.filter((c) => c.score > 0 && c.syntax.delimiter !== ' ');
  const ranked = splitting.length > 0 && overrides.delimiter === undefined ? splitting : candidates;
  let best = ranked[0]!;
  for (const candidate of ranked) if (candidate.score > best.score * (1 + 1e-9)) best = candidate;
  // A file no candidate splits is one column: `,` (or the given delimiter), as before sniffing scored.
  if (best.score === 0) {
    best = candidates.find((c) => c.syntax.delimiter === (overrides.delimiter ?? ',')) ?? best;
  }
  const runnerUp = candidates.filter((c) => c !== best).reduce((top, c) => Math.max(top, c.score), 0);
  const confidence = best.score + runnerUp > 0 ? round2(best.score / (best.score + runnerUp)) : 1;
  return locateTable(sample, start, atEnd, best, skipped, overrides, confidence);
}

function candidateSyntaxes(sample: Buffer, start: number, overrides: SniffOverrides): RecordSyntax[] {
  const text = sample.toString('latin1', start, Math.min(sample.length, start + 64 * 1024));
  const delimiters = overrides.delimiter
    ? [overrides.delimiter]
    : [...DELIMITER_CANDIDATES, ' '].filter((d, i) => i === 0 || text.includes(d));
  const quotes = overrides.quote
    ? [overrides.quote]
    : ['"', "'"].filter((q, i) => i === 0 || text.includes(q));
  const comments =
    overrides.comment !== undefined ? [overrides.comment] : /(?:^|\n)#/.test(text) ? ['', '#'] : [''];
  const syntaxes: RecordSyntax[] = [];
  for (const delimiter of delimiters) {
    // `1, 2, "x"`: spaces after delimiters are padding only when most delimiters have one, never
    // because one row does (csv-parse's ltrim would then trim every field of the file).
    // When most delimiters are padded a person reads the values without the padding: that candidate
    // comes first, winning ties.
    const spaces = delimiter !== ' ' && mostlyPadded(text, delimiter) ? [true, false] : [false];
    for (const quote of quotes) {
      const escapes = overrides.escape ? [overrides.escape] : text.includes('\\') ? [quote, '\\'] : [quote];
      for (const escapeChar of escapes)
        for (const comment of comments)
          for (const skipInitialSpace of spaces)
            syntaxes.push({ delimiter, quote, escape: escapeChar, comment, skipInitialSpace });
    }
  }
  return syntaxes;
}

/** Pattern score x type score over the sample's records (blank and comment lines left out). */
function score(syntax: RecordSyntax, sample: Buffer, start: number, atEnd: boolean): Candidate {
  const all = sampleRecords(sample, start, syntax, atEnd, Math.min(SCORE_RECORDS, SNIFF_MAX_RECORDS));
  const records = all.records.filter((r) => !r.comment && !r.blank);
  if (records.length === 0) return { syntax, records: all.records, score: 0 };
  // A candidate that leaves most records whole splits nothing: it is no evidence for its delimiter.
  if ((modalWidth(records) ?? 1) < 2) return { syntax, records: all.records, score: 0 };
  const patterns = new Map<number, number>();
  for (const r of records) patterns.set(r.cells.length, (patterns.get(r.cells.length) ?? 0) + 1);
  let pattern = 0;
  for (const [fields, count] of patterns)
    pattern += count * Math.max(ONE_FIELD_WEIGHT, (fields - 1) / fields);
  pattern /= patterns.size;
  const decimalComma = syntax.delimiter !== ',' && countCells(records, isDecimalComma) >= 2;
  let cells = 0;
  let typed = 0;
  for (const r of records) {
    // A quoted cell the candidate closes cleanly is a value whatever its text; one it leaves text after
    // the closing quote in is none, however its text looks.
    let wellQuoted = r.wellQuoted;
    let malformed = r.malformed;
    for (const cell of r.cells) {
      cells++;
      if (wellQuoted > 0 && !cellTypes(cell, decimalComma)) {
        wellQuoted--;
        typed++;
      } else if (malformed > 0 && cellTypes(cell, decimalComma)) {
        malformed--;
      } else if (cellTypes(cell, decimalComma)) typed++;
    }
  }
  // Comment lines the candidate explains are evidence too; a comment char that explains none is noise.
  const comments = all.records.filter((r) => r.comment).length;
  if (syntax.comment !== '' && comments === 0) return { syntax, records: all.records, score: 0 };
  const types = Math.max(typed / cells, 0.01);
  return { syntax, records: all.records, score: pattern * types };
}

function locateTable(
  sample: Buffer,
  start: number,
  atEnd: boolean,
  best: Candidate,
  skipped: number,
  overrides: SniffOverrides,
  confidence: number,
): SniffResult {
  const syntax = best.syntax;
  const scan = sampleRecords(sample, start, syntax, atEnd, SNIFF_MAX_RECORDS);
  const content = scan.records.filter((r) => !r.comment && !r.blank);
  // The width is the first table's: a second table after a blank line may be wider.
  const width = modalWidth(firstBlock(scan.records)) ?? modalWidth(content) ?? scan.cut?.fields ?? 1;
  let first = 0;
  if (overrides.skipRows === undefined && overrides.headerRow === undefined) {
    while (first < content.length - 1 && first < MAX_PREAMBLE_RECORDS && isPreamble(content[first]!, width))
      first++;
  }
  const table = content[first];
  const decimalComma = syntax.delimiter !== ',' && countCells(content, isDecimalComma) >= 2;
  const header =
    overrides.header ??
    (overrides.headerRow !== undefined || !table || hasHeader(content.slice(first), decimalComma));
  const result = (tableStart: number, headerEnd: number, fields: number, unclosed: boolean): SniffResult => ({
    syntax,
    lineEnding:
      headerEnd >= 2 && sample[headerEnd - 1] === LF && sample[headerEnd - 2] === CR ? '\r\n' : '\n',
    header,
    tableStart,
    headerEnd,
    headerUnclosed: unclosed,
    headerFields: fields,
    width: header && content.length - first <= 1 ? fields : width,
    skipRows: skipped + (table ? countLines(sample, start, tableStart, scan.records) : 0),
    confidence,
  });
  if (!table) {
    // The sample ends inside the first record (read more), or holds no record at all (end of input).
    const cut = scan.cut;
    if (cut && !cut.unclosed) return result(cut.start, -1, cut.fields, false);
    return result(start, atEnd ? sample.length : -1, cut?.fields ?? 1, Boolean(cut?.unclosed));
  }
  const unclosed = scan.cut?.unclosed === true && scan.cut.start === table.start;
  const lineEndStart = header ? table.end : table.start;
  return {
    ...result(table.start, lineEndStart, table.cells.length, unclosed),
    lineEnding: lineEnding(sample, table.end),
  };
}

function lineEnding(sample: Buffer, end: number): '\n' | '\r\n' {
  return end >= 2 && sample[end - 1] === LF && sample[end - 2] === CR ? '\r\n' : '\n';
}

/** The records up to the first blank line after two or more records (a second table may follow it). */
function firstBlock(records: SampleRecord[]): SampleRecord[] {
  const block: SampleRecord[] = [];
  for (const r of records) {
    if (r.comment) continue;
    if (r.blank) {
      if (block.length >= 3) return block;
      continue;
    }
    block.push(r);
  }
  return block;
}

/** Most frequent field count (the larger on a tie), or undefined without records. */
function modalWidth(records: SampleRecord[]): number | undefined {
  const counts = new Map<number, number>();
  let width: number | undefined;
  let top = 0;
  for (const r of records) {
    const seen = (counts.get(r.cells.length) ?? 0) + 1;
    counts.set(r.cells.length, seen);
    if (seen > top || (seen === top && r.cells.length > (width ?? 0))) {
      top = seen;
      width = r.cells.length;
    }
  }
  return width;
}

/** A title or note line before the table: narrower than the table and nearly empty, or one cell of a wide row. */
function isPreamble(record: SampleRecord, width: number): boolean {
  if (width < 2) return false;
  const filled = record.cells.filter((c) => c.trim() !== '').length;
  if (record.cells.length < width) return filled <= Math.max(1, Math.floor(width / 2));
  return record.cells.length === width && width >= 3 && filled <= 1;
}

/**
 * The first record is a header unless it looks like the data below it: in the columns whose values are
 * mostly numbers or dates, a header holds names. With no such column there is no evidence, and a file's
 * first record names its columns (the documented default).
 */
function hasHeader(records: SampleRecord[], decimalComma: boolean): boolean {
  const [first, ...rest] = records;
  if (!first || rest.length === 0) return true;
  let typedColumns = 0;
  let firstLikeData = 0;
  for (let c = 0; c < first.cells.length; c++) {
    let values = 0;
    let filled = 0;
    for (const r of rest) {
      const cell = r.cells[c];
      if (cell === undefined || cell.trim() === '') continue;
      filled++;
      if (isValueLike(cell, decimalComma)) values++;
    }
    if (filled === 0 || values < filled * 0.8) continue;
    typedColumns++;
    if (isValueLike(first.cells[c]!, decimalComma)) firstLikeData++;
  }
  return typedColumns === 0 || firstLikeData * 2 < typedColumns;
}

function countCells(records: SampleRecord[], test: (cell: string) => boolean): number {
  let count = 0;
  for (const r of records) for (const cell of r.cells) if (test(cell)) count++;
  return count;
}

/** Non-blank lines from `from` up to `to` (the preamble's lines; blank lines are not counted). */
function countLines(sample: Buffer, from: number, to: number, records: SampleRecord[]): number {
  let lines = 0;
  for (const r of records) {
    if (r.start >= to) break;
    if (r.start < from || r.blank) continue;
    for (let at = sample.indexOf(LF, r.start); at !== -1 && at < r.end; at = sample.indexOf(LF, at + 1))
      lines++;
    if (r.end === sample.length && sample[r.end - 1] !== LF) lines++;
  }
  return lines;
}

/** Offset after `lines` physical lines from `from` (the end of the sample if it has fewer). */
export function skipLines(sample: Buffer, from: number, lines: number): number {
  let at = from;
  for (let i = 0; i < lines; i++) {
    const lf = sample.indexOf(LF, at);
    if (lf < 0) return sample.length;
    at = lf + 1;
  }
  return at;
}

/** Offset of the first line with content: leading blank lines (only CR/LF) are skipped. */
export function skipBlankLines(sample: Buffer, from = 0): number {
  let at = from;
  for (;;) {
    const newline = sample.indexOf(LF, at);
    if (newline < 0) return at;
    for (let i = at; i < newline; i++) if (sample[i] !== CR) return at;
    at = newline + 1;
  }
}

/** Most occurrences of `delimiter` in the sample are followed by a space. */
function mostlyPadded(text: string, delimiter: string): boolean {
  let all = 0;
  let padded = 0;
  for (let at = text.indexOf(delimiter); at !== -1; at = text.indexOf(delimiter, at + 1)) {
    all++;
    if (text[at + 1] === ' ') padded++;
  }
  return all > 0 && padded * 2 > all;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
