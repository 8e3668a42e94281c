import { isUtf8 } from 'node:buffer';
import type { SourceEncoding } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { matchBinarySignature } from './binary-signatures.js';
import {
  CP1252_MAX_RUN_SHARE,
  CP1252_MIN_HIGH_BYTES,
  CP1252_SUSPICIOUS_RUN,
  CP1252_UNDEFINED,
  CR,
  LF,
  MAX_CONTROL_BYTE_SHARE,
  MIN_CONTROL_BYTES,
  TAB,
  UTF16_GUESS_BYTES,
  UTF16_GUESS_PAIR_SHARE,
} from './constants.js';
import { utf8Sequences } from './utf8-sequences.js';

/** How to turn the (decompressed) input bytes into UTF-8. */
export interface TextFormat {
  encoding: SourceEncoding;
  /** A UTF-8 byte-order mark starts the input; it is not part of the header or any chunk. */
  bom: boolean;
  /** Bytes at the start of the input that are not content (the UTF-8 BOM); TextDecoder drops UTF-16 BOMs itself. */
  skipBytes: number;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** The gzip member header magic (RFC 1952 section 2.3.1). */
export function isGzip(sample: Buffer): boolean {
  return sample.length >= 2 && sample[0] === 0x1f && sample[1] === 0x8b;
}

/**
 * Decides the text encoding from the first bytes of the (decompressed) input, or rejects the input as
 * empty, binary or in an encoding ingest cannot read with confidence. `atEnd` says the sample is the whole input.
 */
export function detectTextFormat(sample: Buffer, atEnd: boolean): TextFormat {
  if (sample.length === 0) throw new IngestError('EMPTY_FILE', 'the file is empty');

  const binary = matchBinarySignature(sample);
  if (binary) throw new IngestError('NOT_CSV', `the file is a ${binary}, not delimited text`);

  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bom: false, skipBytes: 0 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bom: false, skipBytes: 0 };
  const guessedUtf16 = guessBomlessUtf16(sample);
  if (guessedUtf16) return { encoding: guessedUtf16, bom: false, skipBytes: 0 };

  rejectControlBytes(sample);

  if (UTF8_BOM.every((byte, i) => sample[i] === byte)) return { encoding: 'utf-8', bom: true, skipBytes: 3 };
  if (looksUtf8(sample, atEnd)) return { encoding: 'utf-8', bom: false, skipBytes: 0 };
  // A UTF-8 file with a damaged line: its rows are checked one by one (INVALID_UTF8 with the line), rather
  // than the whole file being read as windows-1252 and its good characters stored as mojibake.
  if (damagedUtf8(sample)) return { encoding: 'utf-8', bom: false, skipBytes: 0 };

  checkWindows1252(sample);
  return { encoding: 'windows-1252', bom: false, skipBytes: 0 };
}

/** ASCII-heavy UTF-16 without a BOM: one byte of nearly every pair is NUL, the other printable ASCII. */
function guessBomlessUtf16(sample: Buffer): SourceEncoding | undefined {
  const pairs = Math.floor(Math.min(sample.length, UTF16_GUESS_BYTES) / 2);
  if (pairs < 2) return undefined;
  let littleEndian = 0;
  let bigEndian = 0;
  for (let i = 0; i < pairs * 2; i += 2) {
    const even = sample[i]!;
    const odd = sample[i + 1]!;
    if (odd === 0 && isTextAscii(even)) littleEndian++;
    else if (even === 0 && isTextAscii(odd)) bigEndian++;
  }
  if (littleEndian >= pairs * UTF16_GUESS_PAIR_SHARE) return 'utf-16le';
  if (bigEndian >= pairs * UTF16_GUESS_PAIR_SHARE) return 'utf-16be';
  return undefined;
}

function isTextAscii(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte === TAB || byte === LF || byte === CR;
}

function rejectControlBytes(sample: Buffer): void {
  let controls = 0;
  for (let i = 0; i < sample.length; i++) {
    const byte = sample[i]!;
    if (byte < 0x20 && byte !== TAB && byte !== LF && byte !== CR) controls++;
  }
  if (controls >= MIN_CONTROL_BYTES && controls > sample.length * MAX_CONTROL_BYTE_SHARE) {
    throw new IngestError(
      'NOT_CSV',
      `the file looks binary: ${controls} of its first ${sample.length} bytes are control characters`,
    );
  }
}

/**
 * Valid UTF-8, allowing a multi-byte sequence cut off at the end of the sample (the next buffer completes it).
 * At the end of input a cut-off sequence is a damaged file, which counts as UTF-8 only if other multi-byte
 * characters vouch for it: `caf\xE9` at the end of a windows-1252 file must stay windows-1252.
 */
function looksUtf8(sample: Buffer, atEnd: boolean): boolean {
  const complete = withoutTruncatedUtf8Tail(sample);
  if (!isUtf8(complete)) return false;
  return complete.length === sample.length || !atEnd || hasNonAscii(complete);
}

/**
 * Invalid as UTF-8, yet with at least as many well-formed multi-byte characters as malformed bytes. Such
 * byte pairs (`Ã©` for `é`) are rare in real windows-1252 text, where nearly every high byte stands alone.
 */
function damagedUtf8(sample: Buffer): boolean {
  let valid = 0;
  let invalid = 0;
  for (const sequence of utf8Sequences(sample)) {
    if (sequence.valid) valid++;
    else invalid++;
  }
  return valid > 0 && valid >= invalid;
}

function hasNonAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** The sample without a multi-byte sequence cut off by the end of the sample (not an encoding error). */
function withoutTruncatedUtf8Tail(sample: Buffer): Buffer {
  // A UTF-8 sequence is at most 4 bytes, so only the last 3 bytes can be an incomplete one.
  for (let back = 1; back <= 3 && back <= sample.length; back++) {
    const byte = sample[sample.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: the lead byte is further back
    const expected = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return expected > back ? sample.subarray(0, sample.length - back) : sample;
  }
  return sample;
}

function checkWindows1252(sample: Buffer): void {
  let high = 0;
  let inRuns = 0;
  let firstRun = -1;
  let runStart = -1;
  for (let i = 0; i <= sample.length; i++) {
    const byte = i < sample.length ? sample[i]! : 0;
    if (byte >= 0x80) {
      if (CP1252_UNDEFINED.has(byte)) {
        throw new IngestError(
          'UNSUPPORTED_ENCODING',
          `the file is neither UTF-8 nor windows-1252: byte 0x${byte.toString(16)} on line ${lineAt(sample, i)} has no character in windows-1252; save it as UTF-8`,
          { line: lineAt(sample, i) },
        );
      }
      high++;
      if (runStart < 0) runStart = i;
      continue;
    }
    if (runStart >= 0 && i - runStart >= CP1252_SUSPICIOUS_RUN) {
      inRuns += i - runStart;
      if (firstRun < 0) firstRun = runStart;
    }
    runStart = -1;
  }
  if (high >= CP1252_MIN_HIGH_BYTES && inRuns > high * CP1252_MAX_RUN_SHARE) {
    const line = lineAt(sample, firstRun);
    throw new IngestError(
      'UNSUPPORTED_ENCODING',
      `the file is not UTF-8 and does not look like windows-1252 text (first doubtful bytes on line ${line}); save it as UTF-8`,
      { line },
    );
  }
}

/** 1-based physical line of byte `index`. */
function lineAt(sample: Buffer, index: number): number {
  let line = 1;
  for (let at = sample.indexOf(LF); at !== -1 && at < index; at = sample.indexOf(LF, at + 1)) line++;
  return line;
}
