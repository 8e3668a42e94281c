import type { FileCursor } from '../db/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';

/** Cursors are opaque to clients: base64url of `<created microseconds>.<file id>`. */
export function encodeCursor(cursor: FileCursor): string {
  return Buffer.from(`${cursor.createdMicros}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string): FileCursor {
  const match = /^(-?\d{1,20})\.(.+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match || !isUuid(match[2]!)) {
    throw new IngestError('INVALID_OPTION', 'cursor is not one this server returned', { option: 'cursor' });
  }
  return { createdMicros: match[1]!, id: match[2]! };
}
