const LF = 0x0a;

/**
 * The text of lines [startLine, endLine] (1-based) of a chunk, capped at maxChars. For rejected rows only.
 * Invalid UTF-8 decodes to U+FFFD and so does a NUL byte, which PostgreSQL text cannot hold.
 */
export function rawLines(bytes: Buffer, startLine: number, endLine: number, maxChars: number): string {
  let start = 0;
  for (let line = 1; line < startLine && start !== -1; line++) {
    const lf = bytes.indexOf(LF, start);
    start = lf === -1 ? -1 : lf + 1;
  }
  if (start === -1) return '';
  let end = start;
  for (let line = startLine; line <= endLine; line++) {
    const lf = bytes.indexOf(LF, end);
    if (lf === -1) {
      end = bytes.length;
      break;
    }
    end = lf + 1;
  }
  const text = bytes
    .toString('utf8', start, Math.min(end, start + maxChars * 4))
    .replace(/\r?\n$/, '')
    .replaceAll('\0', '\uFFFD');
  return text.length > maxChars ? text.slice(0, maxChars) : text;
}
