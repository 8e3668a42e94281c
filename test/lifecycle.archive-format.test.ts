import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredChunk } from '../src/db/index.js';
import {
  ARCHIVE_MAGIC,
  decodeArchive,
  encodeEndFrame,
  encodeFrameHeader,
} from '../src/ingest/archive-format.js';

function chunksOf(sizes: number[]): StoredChunk[] {
  let firstRow = 1;
  return sizes.map((size, chunkIndex) => {
    const chunk = {
      chunkIndex,
      firstRow,
      rowCount: size + 1,
      rawBytes: size * 3,
      xxh64: BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)),
      payload: randomBytes(size),
    };
    firstRow += chunk.rowCount;
    return chunk;
  });
}

function encode(chunks: StoredChunk[], frames = chunks.length): Buffer {
  return Buffer.concat([
    ARCHIVE_MAGIC,
    ...chunks.flatMap((c) => [encodeFrameHeader(c), c.payload]),
    encodeEndFrame(frames),
  ]);
}

/** The bytes as a stream cut at the given offsets, as a network read would deliver them. */
function cut(bytes: Buffer, offsets: number[]): Readable {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.subarray(at, p));
    at = p;
  }
  return Readable.from(pieces.filter((p) => p.length > 0));
}

async function decode(stream: Readable): Promise<StoredChunk[]> {
  const out: StoredChunk[] = [];
  for await (const chunk of decodeArchive(stream, 'test')) out.push(chunk);
  return out;
}

describe('archive format', () => {
  it('decodes what it encodes, however the stream is cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (sizes, offsets) => {
          const chunks = chunksOf(sizes);
          expect(await decode(cut(encode(chunks), offsets))).toEqual(chunks);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a truncated archive, a wrong frame count, chunks out of order and foreign bytes', async () => {
    const chunks = chunksOf([10, 20, 30]);
    const bytes = encode(chunks);
    const damaged = { code: 'CHECKSUM_MISMATCH' };
    await expect(decode(Readable.from([bytes.subarray(0, bytes.length - 1)]))).rejects.toMatchObject(damaged);
    await expect(decode(Readable.from([encode(chunks, 2)]))).rejects.toMatchObject(damaged);
    await expect(decode(Readable.from([encode([chunks[1]!, chunks[0]!])]))).rejects.toMatchObject(damaged);
    await expect(decode(Readable.from([Buffer.from('id,name\n1,a\n')]))).rejects.toMatchObject(damaged);
    await expect(decode(Readable.from([Buffer.concat([bytes, Buffer.from('x')])]))).rejects.toMatchObject(
      damaged,
    );
  });
});
