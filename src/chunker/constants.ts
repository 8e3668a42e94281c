/**
 * Numbers the chunker decides by, each with where it comes from. Byte values are ASCII/UTF-8 code units;
 * every byte the splitter and the sniffer look for is below 0x80, so it can never be part of a multi-byte
 * UTF-8 sequence and byte-wise scanning of UTF-8 is safe.
 */

/** `"`: the only quote character ingest accepts (RFC 4180 section 2, rules 5-7). */
export const QUOTE = 0x22;
/** LF: every record ends with one (CRLF ends with one too); a lone CR is not a record end. */
export const LF = 0x0a;
export const CR = 0x0d;
export const TAB = 0x09;
export const SPACE = 0x20;

/** Delimiter candidates in tie-break order: the most common in the wild first. */
export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/**
 * Bytes read before deciding encoding and dialect: 64 KiB is one default `fs.createReadStream` buffer
 * (highWaterMark), so sniffing usually costs no extra read, and it holds ~200 records of a typical 300-byte row.
 */
export const SAMPLE_BYTES = 64 * 1024;

/** Records the sniffer compares per delimiter candidate; more adds time, not confidence. */
export const SNIFF_MAX_RECORDS = 1000;

/**
 * Share of control bytes (below 0x20, except TAB, LF, CR) above which a sample is binary. Text has
 * essentially none; executables, images and archives have far more than 1% (file(1) and libmagic's
 * "data" heuristic use the same idea). A single stray NUL never trips it (see MIN_CONTROL_BYTES).
 */
export const MAX_CONTROL_BYTE_SHARE = 0.01;
/** One odd control byte in a text file is a row problem for the row parser, not a binary file. */
export const MIN_CONTROL_BYTES = 2;

/**
 * BOM-less UTF-16 guess: in ASCII-heavy UTF-16 every other byte is 0x00. Requiring 90% of the byte pairs
 * in the first KiB to look like that keeps binary files with many NULs from being mistaken for text.
 */
export const UTF16_GUESS_BYTES = 1024;
export const UTF16_GUESS_PAIR_SHARE = 0.9;

/**
 * Bytes 0x81, 0x8D, 0x8F, 0x90 and 0x9D have no character in windows-1252 (WHATWG Encoding, index
 * windows-1252 maps them to C1 controls only for compatibility); text that uses them is in another encoding.
 */
export const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/**
 * windows-1252 text in Western European languages has accented letters between ASCII letters, rarely three
 * or more non-ASCII bytes in a row; Cyrillic (cp1251, KOI8-R) and CJK double-byte encodings are mostly
 * such runs. When more than half of the non-ASCII bytes sit in runs of this length, the guess is refused.
 */
export const CP1252_SUSPICIOUS_RUN = 3;
export const CP1252_MAX_RUN_SHARE = 0.5;
/** Below this many non-ASCII bytes the run heuristic has too little evidence to refuse anything. */
export const CP1252_MIN_HIGH_BYTES = 16;
