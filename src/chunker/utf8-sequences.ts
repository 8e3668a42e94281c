/** One multi-byte UTF-8 sequence, or one byte that starts none, as utf8Sequences finds them. */
export interface Utf8Sequence {
  offset: number;
  valid: boolean;
}

/**
 * The non-ASCII sequences of `bytes` read as UTF-8 (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF), in order. A malformed one is reported at its first byte, and reading resumes at the next
 * byte; a sequence cut off by the end of `bytes` is malformed.
 */
export function* utf8Sequences(bytes: Buffer): Generator<Utf8Sequence> {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      yield { offset: i, valid: false };
      i++;
      continue;
    }
    let cp = b & (0x3f >> need);
    let ok = i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      yield { offset: i, valid: false };
      i++;
      continue;
    }
    yield { offset: i, valid: true };
    i += need + 1;
  }
}
