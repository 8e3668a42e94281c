/** Field delimiters the sniffer chooses among; an override may name any other single character. */
export type Delimiter = ',' | ';' | '\t' | '|' | ' ' | (string & {});

/** Text encodings the chunker reads; everything downstream of the chunker is UTF-8. */
export type SourceEncoding = 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';

/**
 * How the upload was laid out; stored on the file row (jsonb) so every chunk can be parsed alone, whether
 * the sniffer chose a value or the caller gave it. Fields added after the first release are optional:
 * a row written before them reads with the default in brackets.
 */
export interface Dialect {
  delimiter: Delimiter;
  /** Opens a quoted field at the start of a field; `"` or `'`. */
  quote: string;
  /** Inside a quoted field, this before the quote (or itself) makes it literal [same as quote: `""`]. */
  escape?: string;
  /** A line starting with this is not a record [none]. */
  comment?: string;
  /** Spaces after a delimiter are not part of the next field (`1, 2, "x"`) [false]. */
  skipInitialSpace?: boolean;
  /**
   * Line ending of the header record. Records may mix LF and CRLF. `\r` (old Mac exports): the chunker
   * turns each lone CR into LF while decoding, and export turns them back.
   */
  lineEnding: '\n' | '\r\n' | '\r';
  /** A UTF-8 byte-order mark preceded the header (stripped from chunks, restored by export). */
  bom: boolean;
  encoding: SourceEncoding;
  compression: 'none' | 'gzip';
  /** The first record after the skipped lines names the columns [true]; without it names are `column_<n>`. */
  header?: boolean;
  /** Lines before the table (a preamble, title rows), kept in the header bytes and not parsed [0]. */
  skipRows?: number;
  /** How sure the sniffer was of this dialect, 0-1 (1 when every choice was given) [absent: not scored]. */
  confidence?: number;
  /** Which fields the caller gave rather than the sniffer chose. */
  overrides?: DialectOverrideName[];
  /**
   * The bad-row policy the rows were read with, when it changes which rows exist (`lenient` pads short
   * rows): export --normalize reads the chunks again the same way [strict/skip: whole rows only].
   */
  rows?: 'lenient';
}

/** What a caller may give instead of letting the sniffer choose. */
export interface DialectOverrides {
  delimiter?: string;
  quote?: string;
  escape?: string;
  comment?: string;
  /** false: the first record is data (`--no-header`). */
  header?: boolean;
  /** 1-based line of the header record (`--header-row`); the lines before it are skipped. */
  headerRow?: number;
  /** Lines to skip before the table (`--skip-rows`). */
  skipRows?: number;
  encoding?: SourceEncoding;
}

export type DialectOverrideName = keyof DialectOverrides;

/** What decides where fields and records end: one rule shared by the chunker and every parser. */
export interface RecordSyntax {
  /** One character. */
  delimiter: string;
  /** One character. */
  quote: string;
  /** One character; equal to `quote` means a doubled quote is a literal one. */
  escape: string;
  /** One character, or '' for none: a record that starts with it is a comment line. */
  comment: string;
  skipInitialSpace: boolean;
}

/** The record syntax of a stored dialect, with the defaults of rows written before the optional fields. */
export function recordSyntaxOf(
  dialect: Pick<Dialect, 'delimiter' | 'quote' | 'escape' | 'comment' | 'skipInitialSpace'>,
): RecordSyntax {
  const quote = dialect.quote || '"';
  return {
    delimiter: dialect.delimiter,
    quote,
    escape: dialect.escape || quote,
    comment: dialect.comment ?? '',
    skipInitialSpace: dialect.skipInitialSpace ?? false,
  };
}

/** RFC 4180 with the delimiter given: what every file was read with before dialects grew. */
export function isPlainSyntax(syntax: RecordSyntax): boolean {
  return syntax.quote === '"' && syntax.escape === '"' && syntax.comment === '' && !syntax.skipInitialSpace;
}
