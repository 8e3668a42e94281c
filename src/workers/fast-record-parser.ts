/**
 * The hot-path parser: the same records as csv-parse (with ingest's options: `"` quotes, `""` escapes,
 * LF or CRLF record ends, empty lines skipped when there is more than one column) for well-formed input,
 * several times faster because it jumps between delimiters, quotes and newlines with `indexOf` instead
 * of visiting every character through a state machine.
 *
 * It does not report errors. On anything it does not fully understand (an unclosed or stray quote, text
 * after a closing quote, a wrong field count, an oversized record) it returns `false` and emits nothing
 * more, and the caller re-parses the chunk with csv-parse, the reference implementation, which then
 * decides the error code and line. A differential test (test/workers.fast-parser-differential.test.ts)
 * checks that both parsers agree.
 */

const LF = 0x0a;
const CR = 0x0d;
const NONE = Number.MAX_SAFE_INTEGER;

/**
 * Parses `text` (whole records) and calls `onRecord` for each. Returns true when the whole text was
 * parsed; false at the first anomaly. Records emitted before an anomaly must be discarded by the caller.
 */
export function fastParseRecords(
  text: string,
  delimiter: string,
  columnCount: number,
  maxRecordChars: number,
  onRecord: (fields: string[]) => void,
  /** The quote character (doubled to escape itself); `"` unless the file uses another. */
  quote = '"',
): boolean {
  const QUOTE = quote.charCodeAt(0);
  const doubledQuote = quote + quote;
  const len = text.length;
  const skipEmptyLines = columnCount > 1;
  let nextDelimiter = indexOr(text, delimiter, 0);
  let nextNewline = indexOr(text, '\n', 0);
  let nextQuote = indexOr(text, quote, 0);
  let pos = 0;

  while (pos < len) {
    if (skipEmptyLines) {
      const c = text.charCodeAt(pos);
      if (c === LF) {
        pos++;
        continue;
      }
      if (c === CR && text.charCodeAt(pos + 1) === LF) {
        pos += 2;
        continue;
      }
    }
    const recordStart = pos;
    const fields: string[] = [];
    let recordDone = false;
    while (!recordDone) {
      if (text.charCodeAt(pos) === QUOTE) {
        // Quoted field: find the closing quote, stepping over "" escapes.
        const start = pos + 1;
        let q = text.indexOf(quote, start);
        let escaped = false;
        while (q !== -1 && text.charCodeAt(q + 1) === QUOTE) {
          escaped = true;
          q = text.indexOf(quote, q + 2);
        }
        if (q === -1) return false;
        const raw = text.slice(start, q);
        fields.push(escaped ? raw.replaceAll(doubledQuote, quote) : raw);
        const after = q + 1;
        if (after >= len) {
          pos = len;
          recordDone = true;
        } else {
          const c = text.charCodeAt(after);
          if (c === delimiter.charCodeAt(0)) {
            pos = after + 1;
            if (pos === len) {
              fields.push('');
              recordDone = true;
            }
          } else if (c === LF) {
            pos = after + 1;
            recordDone = true;
          } else if (c === CR && text.charCodeAt(after + 1) === LF) {
            pos = after + 2;
            recordDone = true;
          } else {
            return false;
          }
        }
        // The jumps above moved past cached positions; refresh lazily below.
        if (nextDelimiter < pos) nextDelimiter = indexOr(text, delimiter, pos);
        if (nextNewline < pos) nextNewline = indexOr(text, '\n', pos);
        if (nextQuote < pos) nextQuote = indexOr(text, quote, pos);
      } else {
        if (nextDelimiter < pos) nextDelimiter = indexOr(text, delimiter, pos);
        if (nextNewline < pos) nextNewline = indexOr(text, '\n', pos);
        if (nextQuote < pos) nextQuote = indexOr(text, quote, pos);
        const end = Math.min(nextDelimiter, nextNewline, len);
        // A quote inside an unquoted field is an error for csv-parse: let it say so.
        if (nextQuote < end) return false;
        if (end === nextDelimiter) {
          fields.push(text.slice(pos, end));
          pos = end + 1;
          if (pos === len) {
            fields.push('');
            recordDone = true;
          }
        } else {
          // CR before LF belongs to the record end; a lone CR elsewhere is data.
          const valueEnd =
            end === nextNewline && end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end;
          fields.push(text.slice(pos, valueEnd));
          pos = end + 1;
          recordDone = true;
        }
      }
    }
    if (fields.length !== columnCount || pos - recordStart > maxRecordChars) return false;
    onRecord(fields);
  }
  return true;
}

function indexOr(text: string, needle: string, from: number): number {
  const at = text.indexOf(needle, from);
  return at === -1 ? NONE : at;
}
