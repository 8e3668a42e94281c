/** Field delimiters ingest sniffs among. */
export type Delimiter = ',' | ';' | '\t' | '|';

/** Text encodings the chunker reads; everything downstream of the chunker is UTF-8. */
export type SourceEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/** How the upload was laid out; stored on the file row so every chunk can be parsed alone. */
export interface Dialect {
  delimiter: Delimiter;
  /** Always `"`; `""` inside a quoted field is an escaped quote. */
  quote: '"';
  /** Line ending of the header record. Records may mix LF and CRLF. */
  lineEnding: '\n' | '\r\n';
  /** A UTF-8 byte-order mark preceded the header (stripped from chunks, restored by export). */
  bom: boolean;
  encoding: SourceEncoding;
  compression: 'none' | 'gzip';
}
