import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openChunks } from '../src/chunker/index.js';
import { IngestError } from '../src/errors.js';

const KiB = 1024;

/** `count` buffers of 64 KiB CSV records after a header, counting how many were pulled. */
function counted(count: number, failAfter?: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const block = Buffer.from('1,"a\nb",xyz\n'.repeat((64 * KiB) / 12));
  async function* generate(): AsyncGenerator<Buffer> {
    yield Buffer.from('a,b,c\n');
    for (let i = 0; i < count; i++) {
      if (failAfter !== undefined && i === failAfter) throw new Error('disk on fire');
      pulled++;
      yield block;
    }
  }
  // A small highWaterMark so the stream's own read-ahead does not hide how much the chunker pulled.
  return { stream: Readable.from(generate(), { highWaterMark: 1 }), pulled: () => pulled };
}

describe('chunker: pull-based reading', () => {
  it('reads the input only as fast as chunks are consumed', async () => {
    const upload = counted(1000);
    const source = await openChunks(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 1024 * KiB });
    const afterOpen = upload.pulled();
    expect(afterOpen).toBeLessThan(5);
    const iterator = source.chunks[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(upload.pulled()).toBeLessThan(afterOpen + 6);
    await iterator.return?.();
    expect(upload.stream.destroyed).toBe(true);
  });

  it('destroys the input when the consumer stops early', async () => {
    const upload = counted(1000);
    const source = await openChunks(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 1024 * KiB });
    let seen = 0;
    for await (const chunk of source.chunks) {
      expect(chunk.index).toBe(seen);
      if (++seen === 3) break;
    }
    expect(upload.stream.destroyed).toBe(true);
    expect(upload.pulled()).toBeLessThan(12);
  });

  it('destroys the input when the consumer returns before iterating at all', async () => {
    const upload = counted(1000);
    const source = await openChunks(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 1024 * KiB });
    await source.chunks[Symbol.asyncIterator]().return?.();
    expect(upload.stream.destroyed).toBe(true);
  });

  it('propagates an input error through the chunk iterator', async () => {
    const upload = counted(1000, 10);
    const source = await openChunks(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 1024 * KiB });
    const consume = async () => {
      for await (const _chunk of source.chunks) {
        // consume
      }
    };
    await expect(consume()).rejects.toThrow('disk on fire');
  });

  it('propagates an input error through gzip decompression', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `${i},${(i * 7919) % 100_003}\n`).join('');
    const gz = gzipSync(Buffer.from(`a,b\n${rows}`));
    expect(gz.length).toBeGreaterThan(200 * KiB);
    async function* generate(): AsyncGenerator<Buffer> {
      yield gz.subarray(0, 100 * KiB);
      throw new Error('connection reset');
    }
    // Decompression reads ahead, so the error may surface while opening or while iterating.
    const consume = async () => {
      const source = await openChunks(Readable.from(generate()), {
        chunkBytes: 16 * KiB,
        maxRecordBytes: KiB,
      });
      for await (const _chunk of source.chunks) {
        // consume
      }
    };
    await expect(consume()).rejects.toThrow('connection reset');
  });

  it('fails while opening when the input errors before the header is read', async () => {
    async function* generate(): AsyncGenerator<Buffer> {
      yield Buffer.from('a,b');
      throw new Error('socket hang up');
    }
    await expect(
      openChunks(Readable.from(generate()), { chunkBytes: 16, maxRecordBytes: KiB }),
    ).rejects.toThrow('socket hang up');
  });

  it('validates its options, naming the option', async () => {
    const error = await openChunks(Readable.from([Buffer.from('a\n')]), {
      chunkBytes: 0,
      maxRecordBytes: 1,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).code).toBe('INVALID_OPTION');
    expect((error as IngestError).context.option).toBe('chunkBytes');
  });
});
