const LF = 0x0a;

/**
 * The text of a chunk's lines for rejected rows. Rejected rows come in line order, so the reader resumes
 * from the last line it found instead of counting lines from the chunk's start for every row: a chunk of
 * a million bad one-byte rows costs one pass, not a million.
 */
export class RawLineReader {
  /** 1-based line that starts at `offset`. */
  private line = 1;
  private offset = 0;

  constructor(private readonly bytes: Buffer) {}

  /**
   * The text of lines [startLine, endLine] (1-based), capped at maxChars. Invalid UTF-8 decodes to U+FFFD
   * and so does a NUL byte, which PostgreSQL text cannot hold.
   */
  text(startLine: number, endLine: number, maxChars: number): string {
    const bytes = this.bytes;
    if (startLine < this.line) {
      this.line = 1;
      this.offset = 0;
    }
    while (this.line < startLine && this.offset !== -1) {
      const lf = bytes.indexOf(LF, this.offset);
      this.offset = lf === -1 ? -1 : lf + 1;
      this.line++;
    }
    const start = this.offset;
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
}
