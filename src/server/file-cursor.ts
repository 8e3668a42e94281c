import type { FileCursor } from '../db/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';

/** Cursors are opaque to clients: base64url of `<created microseconds>.<file id>`. */
export function encodeCursor(cursor: FileCursor): string {
  return Buffer.from(`${cursor.createdMicros}.${cursor.id}`).toString('base64url');
}

/**
 * The creation times a cursor may carry, in microseconds since the epoch: years 1 to 9999. Every row's
 * created_at is well inside; a forged time outside would reach PostgreSQL's timestamp arithmetic and fail
 * there (22003 numeric or 22008 datetime overflow) instead of being refused here.
 */
const MIN_MICROS = -62_135_596_800_000_000n; // 0001-01-01T00:00:00Z
const MAX_MICROS = 253_402_300_799_999_999n; // 9999-12-31T23:59:59.999999Z

export function decodeCursor(text: string): FileCursor {
  const match = /^(-?\d{1,20})\.(.+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  const micros = match ? BigInt(match[1]!) : 0n;
  if (!match || !isUuid(match[2]!) || micros < MIN_MICROS || micros > MAX_MICROS) {
    throw new IngestError('INVALID_OPTION', 'cursor is not one this server returned', { option: 'cursor' });
  }
  return { createdMicros: match[1]!, id: match[2]! };
}
