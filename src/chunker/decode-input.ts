import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { SourceEncoding } from '../domain/index.js';
import { IngestError } from '../errors.js';

/** The bytes of a stream as Buffers, whatever chunk type it yields (strings, Uint8Arrays). */
export async function* bytesOf(input: AsyncIterable<unknown>): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of input) {
    if (Buffer.isBuffer(chunk)) yield chunk;
    else if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    else if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else throw new IngestError('INTERNAL', `the input stream yielded a ${typeof chunk}, not bytes`);
  }
}

/**
 * Decompresses a gzip byte stream (all members, as gunzip(1) does). zlib's own errors (corrupt or
 * truncated data) become NOT_CSV; errors of the source pass through unchanged. `check` sees the inflated
 * byte count before each buffer is handed on and may throw (a gzip bomb): inflating then stops, and the
 * source is released unread.
 */
export async function* gunzip(
  source: AsyncIterable<Buffer>,
  check?: (inflatedBytes: number) => void,
): AsyncGenerator<Buffer, void, undefined> {
  const inflater = createGunzip();
  // Errors end up on `inflater` (pipeline destroys every stream with the first error), so iterating it throws.
  pipeline(Readable.from(source), inflater, () => {});
  let inflated = 0;
  try {
    for await (const bytes of bytesOf(inflater)) {
      inflated += bytes.length;
      check?.(inflated);
      yield bytes;
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new IngestError(
        'NOT_CSV',
        `the gzip data is corrupt or truncated: ${(err as Error).message}`,
        {},
        {
          cause: err,
        },
      );
    }
    throw err;
  } finally {
    inflater.destroy();
  }
}

/**
 * Transcodes a byte stream to UTF-8 with a streaming TextDecoder, which keeps characters split across
 * buffers intact and drops a UTF-16 byte-order mark. Undecodable bytes become U+FFFD (WHATWG decoding).
 */
export async function* transcodeToUtf8(
  source: AsyncIterable<Buffer>,
  encoding: Exclude<SourceEncoding, 'utf-8'>,
): AsyncGenerator<Buffer, void, undefined> {
  const decoder = new TextDecoder(encoding);
  for await (const bytes of source) {
    const text = decoder.decode(bytes, { stream: true });
    if (text.length > 0) yield Buffer.from(text, 'utf8');
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield Buffer.from(tail, 'utf8');
}
