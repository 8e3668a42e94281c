import type { Readable } from 'node:stream';
import type { StoredChunk } from '../db/index.js';
import { IngestError } from '../errors.js';

/**
 * The archive object of a file: its chunk rows, framed, in chunk order.
 *
 *   magic   8 bytes  "INGARC01"
 *   frame   32-byte header, then `payload length` bytes of the chunk's gzip payload as stored:
 *             u32 chunk_index | i64 first_row | u32 row_count | u32 raw_bytes | u32 payload length | i64 xxh64
 *   end     a 32-byte header whose chunk_index is 0xFFFFFFFF and first_row is the number of frames
 *
 * All integers big-endian. The end frame makes truncation detectable; the payload keeps its own xxh64
 * (of the raw bytes), and the object as a whole its SHA-256 on the file row.
 */
export const ARCHIVE_MAGIC = Buffer.from('INGARC01', 'ascii');
const HEADER_BYTES = 32;
const END_INDEX = 0xffffffff;

export function encodeFrameHeader(chunk: StoredChunk): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(chunk.chunkIndex, 0);
  header.writeBigInt64BE(BigInt(chunk.firstRow), 4);
  header.writeUInt32BE(chunk.rowCount, 12);
  header.writeUInt32BE(chunk.rawBytes, 16);
  header.writeUInt32BE(chunk.payload.length, 20);
  header.writeBigInt64BE(chunk.xxh64, 24);
  return header;
}

export function encodeEndFrame(frames: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(END_INDEX, 0);
  header.writeBigInt64BE(BigInt(frames), 4);
  return header;
}

/**
 * Decodes an archive stream into its chunks, in order, holding at most one chunk in memory. Fails with
 * CHECKSUM_MISMATCH (naming `what`) on a wrong magic, a frame out of order, or a missing end frame.
 */
export async function* decodeArchive(stream: Readable, what: string): AsyncGenerator<StoredChunk> {
  const damaged = (why: string) => new IngestError('CHECKSUM_MISMATCH', `archive ${what} is damaged: ${why}`);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const take = (n: number): Buffer => {
    const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return out;
  };
  let need = ARCHIVE_MAGIC.length;
  let state: 'magic' | 'header' | 'payload' | 'done' = 'magic';
  let header: Buffer | undefined;
  let frames = 0;
  for await (const piece of stream as AsyncIterable<Buffer>) {
    pending.push(piece);
    pendingBytes += piece.length;
    while (pendingBytes >= need && state !== 'done') {
      const bytes = take(need);
      if (state === 'magic') {
        if (!bytes.equals(ARCHIVE_MAGIC)) throw damaged('not an ingest archive');
        state = 'header';
        need = HEADER_BYTES;
      } else if (state === 'header') {
        const index = bytes.readUInt32BE(0);
        if (index === END_INDEX) {
          if (bytes.readBigInt64BE(4) !== BigInt(frames)) throw damaged('the frame count does not match');
          state = 'done';
          need = 0;
        } else {
          if (index !== frames) throw damaged(`expected chunk ${frames}, found ${index}`);
          header = Buffer.from(bytes);
          state = 'payload';
          need = header.readUInt32BE(20);
        }
      } else {
        const h = header!;
        yield {
          chunkIndex: h.readUInt32BE(0),
          firstRow: Number(h.readBigInt64BE(4)),
          rowCount: h.readUInt32BE(12),
          rawBytes: h.readUInt32BE(16),
          xxh64: h.readBigInt64BE(24),
          payload: Buffer.from(bytes),
        };
        frames++;
        state = 'header';
        need = HEADER_BYTES;
      }
    }
    if (state === 'done' && pendingBytes > 0) throw damaged('bytes follow the end frame');
  }
  if (state !== 'done') throw damaged('it ends before its end frame');
}
