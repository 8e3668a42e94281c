import { isUtf8 } from 'node:buffer';
import { utf8Sequences } from '../chunker/index.js';
import type { RowErrorCode } from './chunk-task.js';

const LF = 0x0a;

/** Number of LF bytes: the physical lines a chunk completes. indexOf jumps run at memchr speed. */
export function countLines(bytes: Buffer): number {
  let count = 0;
  let at = bytes.indexOf(LF);
  while (at !== -1) {
    count++;
    at = bytes.indexOf(LF, at + 1);
  }
  return count;
}

/** 1-based line of a byte offset. Only used on the rare path (a bad byte was found). */
function lineAt(bytes: Buffer, offset: number): number {
  return countLines(bytes.subarray(0, offset)) + 1;
}

/** A line holding bytes no row may contain, with why. */
export interface BadLine {
  line: number;
  code: Extract<RowErrorCode, 'NUL_BYTE' | 'INVALID_UTF8'>;
  reason: string;
}

/**
 * Lines with a NUL byte or a byte sequence that is not UTF-8, in line order. The common case (clean
 * UTF-8 without NUL) costs one memchr and one SIMD UTF-8 validation over the chunk.
 */
export function findBadLines(bytes: Buffer): BadLine[] {
  const found = new Map<number, BadLine>();
  for (let at = bytes.indexOf(0); at !== -1; at = bytes.indexOf(0, at + 1)) {
    const line = lineAt(bytes, at);
    if (!found.has(line)) found.set(line, { line, code: 'NUL_BYTE', reason: 'the row contains a NUL byte' });
  }
  if (!isUtf8(bytes)) {
    for (const offset of invalidUtf8Offsets(bytes)) {
      const line = lineAt(bytes, offset);
      if (!found.has(line)) {
        found.set(line, {
          line,
          code: 'INVALID_UTF8',
          // invalidUtf8Offsets yields offsets inside `bytes`.
          reason: `invalid UTF-8 byte 0x${bytes[offset]!.toString(16).padStart(2, '0')}`,
        });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.line - b.line);
}

/** Offsets where a UTF-8 sequence is malformed. */
function* invalidUtf8Offsets(bytes: Buffer): Generator<number> {
  for (const sequence of utf8Sequences(bytes)) if (!sequence.valid) yield sequence.offset;
}
