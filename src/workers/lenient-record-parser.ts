import type { RecordSyntax } from '../domain/index.js';
import type { RepairCode } from './chunk-task.js';

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** Receives what the lenient reading of a chunk finds, in order, with 1-based chunk-relative lines. */
export interface LenientSink {
  record(fields: string[], startLine: number, endLine: number): void;
  /** A repair that kept the row (`kept`), recorded so that nothing is silent. */
  repaired(code: RepairCode, reason: string, startLine: number, endLine: number): void;
  /** A blank line then records of another width: the table ended; nothing after this line is a row. */
  tableEnd(line: number): void;
}

interface RawRecord {
  fields: string[];
  startLine: number;
  endLine: number;
  comment: boolean;
  blank: boolean;
  /** Text followed a closing quote in some field (kept, appended to the field). */
  textAfterQuote: boolean;
}

/**
 * The lenient policy's reader, with the chunker's quote rule (record-machine.ts) so that it agrees on
 * where records end: every record a person would see is kept. A short record is padded with empty
 * fields, extra fields are joined (with the delimiter) into the last column, text after a closing quote
 * stays in its field, and a quote never closed before the end of the input is read as a literal
 * character (the chunker gave all the rest of the file to this last chunk, so the rest is re-read).
 * Each repair is reported with its lines.
 */
export function lenientParseRecords(
  text: string,
  syntax: RecordSyntax,
  columnCount: number,
  sink: LenientSink,
): void {
  let pos = 0;
  let line = 1;
  let afterBlank = false;
  // Quotes read as characters because they were never closed: each one found re-reads its record.
  const literalQuotes = new Set<number>();
  while (pos < text.length) {
    const read = readRecord(text, pos, line, syntax, literalQuotes);
    if (read.unclosedAt >= 0) {
      // Read the record again with that quote as a character; the repair is reported with the record.
      literalQuotes.add(read.unclosedAt);
      continue;
    }
    const { record } = read;
    let repairedQuote = false;
    for (const at of literalQuotes) if (at >= pos && at < read.end) repairedQuote = true;
    pos = read.end;
    line = record.endLine + (text.charCodeAt(read.end - 1) === LF ? 1 : 0);
    if (record.comment) continue;
    if (record.blank) {
      if (columnCount === 1) sink.record([''], record.startLine, record.endLine);
      else afterBlank = true;
      continue;
    }
    if (afterBlank && columnCount > 1 && record.fields.length !== columnCount && record.fields.length > 1) {
      sink.tableEnd(record.startLine);
      return;
    }
    afterBlank = false;
    const fields = record.fields;
    const { startLine, endLine } = record;
    if (repairedQuote)
      sink.repaired('QUOTE_REPAIRED', 'a quote never closed was read as a character', startLine, endLine);
    else if (record.textAfterQuote)
      sink.repaired('QUOTE_REPAIRED', 'text after a closing quote was kept in its field', startLine, endLine);
    if (fields.length < columnCount) {
      sink.repaired(
        'FIELDS_PADDED',
        `expected ${columnCount} fields, found ${fields.length}: padded with empty fields`,
        startLine,
        endLine,
      );
      while (fields.length < columnCount) fields.push('');
    } else if (fields.length > columnCount) {
      sink.repaired(
        'FIELDS_JOINED',
        `expected ${columnCount} fields, found ${fields.length}: the last ${fields.length - columnCount + 1} kept in the last column`,
        startLine,
        endLine,
      );
      const tail = fields.splice(columnCount - 1).join(syntax.delimiter);
      fields.push(tail);
    }
    sink.record(fields, startLine, endLine);
  }
}

/** One record from `start`; `unclosedAt` is the offset of a quote still open at the end of the text. */
function readRecord(
  text: string,
  start: number,
  line: number,
  syntax: RecordSyntax,
  literalQuotes: Set<number>,
): { record: RawRecord; end: number; unclosedAt: number } {
  const delimiter = syntax.delimiter.charCodeAt(0);
  const quote = syntax.quote.charCodeAt(0);
  const escapeCode = syntax.escape.charCodeAt(0);
  const doubled = syntax.escape === syntax.quote;
  const fields: string[] = [];
  let field = '';
  let pos = start;
  let endLine = line;
  let textAfterQuote = false;
  const record = (end: number, blank: boolean, comment: boolean) => ({
    record: { fields, startLine: line, endLine, comment, blank, textAfterQuote },
    end,
    unclosedAt: -1,
  });
  if (syntax.comment !== '' && text.startsWith(syntax.comment, pos)) {
    const lf = text.indexOf('\n', pos);
    return record(lf === -1 ? text.length : lf + 1, false, true);
  }
  const lineEnd = text.indexOf('\n', pos);
  const content = lineEnd === -1 ? text.slice(pos) : text.slice(pos, lineEnd);
  if (content === '' || content === '\r')
    return record(lineEnd === -1 ? text.length : lineEnd + 1, true, false);

  let fieldStart = true;
  for (;;) {
    if (pos >= text.length) {
      fields.push(field);
      return record(text.length, false, false);
    }
    const c = text.charCodeAt(pos);
    if (fieldStart && c === SPACE && syntax.skipInitialSpace) {
      pos++;
      continue;
    }
    if (fieldStart && c === quote && !literalQuotes.has(pos)) {
      // Quoted field: up to the closing quote, escapes made literal, line feeds kept.
      const open = pos;
      pos++;
      let closed = false;
      while (pos < text.length) {
        const q = text.charCodeAt(pos);
        if (q === LF) endLine++;
        if (doubled && q === quote) {
          if (text.charCodeAt(pos + 1) === quote) {
            field += syntax.quote;
            pos += 2;
            continue;
          }
          closed = true;
          pos++;
          break;
        }
        if (
          !doubled &&
          q === escapeCode &&
          (text.charCodeAt(pos + 1) === quote || text.charCodeAt(pos + 1) === escapeCode)
        ) {
          field += text[pos + 1];
          pos += 2;
          continue;
        }
        if (!doubled && q === quote) {
          closed = true;
          pos++;
          break;
        }
        field += text[pos];
        pos++;
      }
      if (!closed)
        return {
          record: { fields, startLine: line, endLine, comment: false, blank: false, textAfterQuote },
          end: pos,
          unclosedAt: open,
        };
      fieldStart = false;
      const next = text.charCodeAt(pos);
      if (
        pos < text.length &&
        next !== delimiter &&
        next !== LF &&
        !(next === CR && text.charCodeAt(pos + 1) === LF)
      )
        textAfterQuote = true;
      continue;
    }
    fieldStart = false;
    if (c === delimiter) {
      fields.push(field);
      field = '';
      fieldStart = true;
      pos++;
      continue;
    }
    if (c === LF) {
      fields.push(field.endsWith('\r') ? field.slice(0, -1) : field);
      return record(pos + 1, false, false);
    }
    field += text[pos];
    pos++;
  }
}
