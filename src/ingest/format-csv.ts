const NEEDS_QUOTES = /[",\r\n]/;

/** One RFC 4180 record: comma-separated, fields quoted only when they hold `"`, `,`, CR or LF; CRLF-free (LF) line end. */
export function formatCsvRecord(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (i > 0) line += ',';
    line += NEEDS_QUOTES.test(f) ? `"${f.replaceAll('"', '""')}"` : f;
  }
  // A lone empty field written bare would be a blank line, which readers skip: quote it.
  return line === '' && fields.length === 1 ? '""\n' : `${line}\n`;
}
