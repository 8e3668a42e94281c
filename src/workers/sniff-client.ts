import type { Sniffer } from '../chunker/index.js';
import { IngestError } from '../errors.js';
import type { ChunkPool } from './chunk-pool.js';
import type { SniffReply } from './sniff-task.js';

/**
 * A Sniffer that runs on the worker pool. The sample is copied once into a buffer of its own and
 * transferred (the chunker keeps reading from the original); the header comes back as plain data.
 */
export function workerSniffer(pool: Pick<ChunkPool, 'sniff'>): Sniffer {
  return {
    async textFormat(sample, atEnd) {
      const reply = await pool.sniff({ kind: 'text-format', sample: copyOf(sample), atEnd });
      if (!reply.ok) throw rethrown(reply);
      if (!('format' in reply)) throw new IngestError('INTERNAL', 'the sniff worker answered another step');
      return reply.format;
    },
    async header(sample, atEnd, limits) {
      const reply = await pool.sniff({ kind: 'header', sample: copyOf(sample), atEnd, limits });
      if (!reply.ok) throw rethrown(reply);
      if (!('step' in reply)) throw new IngestError('INTERNAL', 'the sniff worker answered another step');
      const step = reply.step;
      if (!step.done) return step;
      // Structured clone turns a Buffer into a plain Uint8Array.
      const raw = step.header.raw as Uint8Array;
      return {
        ...step,
        header: { ...step.header, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) },
      };
    },
  };
}

function copyOf(sample: Buffer): ArrayBuffer {
  return sample.buffer.slice(sample.byteOffset, sample.byteOffset + sample.byteLength) as ArrayBuffer;
}

function rethrown(reply: Extract<SniffReply, { ok: false }>): IngestError {
  return new IngestError(reply.error.code, reply.error.message, reply.error.context);
}
