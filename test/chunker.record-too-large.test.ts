import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openChunks } from '../src/chunker/index.js';
import { IngestError } from '../src/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * An endless upload: `head`, then 64 KiB blocks of `x` forever. Counts what it produced, so a test can
 * check that the chunker stopped reading soon after the record grew too large (bounded memory).
 */
function endless(head: string): { stream: Readable; produced: () => number; stopped: () => boolean } {
  let produced = 0;
  let stopped = false;
  const block = Buffer.alloc(64 * KiB, 'x');
  async function* generate(): AsyncGenerator<Buffer> {
    try {
      const first = Buffer.from(head);
      produced += first.length;
      yield first;
      for (;;) {
        produced += block.length;
        yield block;
      }
    } finally {
      stopped = true;
    }
  }
  return { stream: Readable.from(generate()), produced: () => produced, stopped: () => stopped };
}

async function drain(
  stream: Readable,
  options: { chunkBytes: number; maxRecordBytes: number },
): Promise<unknown> {
  try {
    const source = await openChunks(stream, options);
    for await (const _chunk of source.chunks) {
      // consume
    }
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('chunker: RECORD_TOO_LARGE', () => {
  it('fails an unterminated quoted record with its line, reading only about maxRecordBytes', async () => {
    const options = { chunkBytes: 256 * KiB, maxRecordBytes: 1 * MiB };
    const upload = endless('id,text\n1,"two\nlines"\n2,short\n3,"never closed');
    const error = await drain(upload.stream, options);
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).code).toBe('RECORD_TOO_LARGE');
    // Line 1 header, 2-3 the two-line record, 4 the next, 5 the record that never ends.
    expect((error as IngestError).context.line).toBe(5);
    expect((error as IngestError).message).toContain('closing quote');
    // Bounded: the chunker stopped within a couple of input buffers past the limit.
    expect(upload.produced()).toBeLessThan(options.maxRecordBytes + options.chunkBytes + 3 * 64 * KiB);
    await new Promise((resolve) => setImmediate(resolve));
    expect(upload.stream.destroyed).toBe(true);
    expect(upload.stopped()).toBe(true);
  });

  it('fails an unquoted record without any line ending too', async () => {
    const upload = endless('a,b\n1,2\n3,');
    const error = await drain(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 512 * KiB });
    expect((error as IngestError).code).toBe('RECORD_TOO_LARGE');
    expect((error as IngestError).context.line).toBe(3);
    expect(upload.produced()).toBeLessThan(512 * KiB + 64 * KiB + 3 * 64 * KiB);
  });

  it('fails a header larger than maxRecordBytes on line 1', async () => {
    const upload = endless('"id');
    const error = await drain(upload.stream, { chunkBytes: 64 * KiB, maxRecordBytes: 256 * KiB });
    expect((error as IngestError).code).toBe('RECORD_TOO_LARGE');
    expect((error as IngestError).context.line).toBe(1);
    expect(upload.produced()).toBeLessThan(2 * MiB);
  });

  it('accepts a record of exactly maxRecordBytes, line ending included, and fails one byte more', async () => {
    const record = `${'y'.repeat(98)}\n`; // 99 bytes
    const ok = await drain(Readable.from([Buffer.from(`h\n${record}`)]), {
      chunkBytes: 10,
      maxRecordBytes: 99,
    });
    expect(ok).toBeUndefined();
    const tooLarge = await drain(Readable.from([Buffer.from(`h\ny${record}`)]), {
      chunkBytes: 10,
      maxRecordBytes: 99,
    });
    expect((tooLarge as IngestError).code).toBe('RECORD_TOO_LARGE');
    expect((tooLarge as IngestError).context.line).toBe(2);
  });
});
