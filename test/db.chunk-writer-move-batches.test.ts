import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkWriter, claimFile, enterTenant, withTenant } from '../src/db/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.close();
});

const PAYLOAD_BYTES = 1000;

function chunk(index: number) {
  return {
    chunkIndex: index,
    firstRow: index * 10 + 1,
    rowCount: 10,
    rawBytes: 4 * PAYLOAD_BYTES,
    compressedBytes: PAYLOAD_BYTES,
    xxh64: BigInt(index),
    payload: randomBytes(PAYLOAD_BYTES),
  };
}

describe('ChunkWriter', () => {
  it('moves staged chunks into file_chunks once their payload bytes reach moveEveryBytes', async () => {
    const org = await env.organization('writer-move-bytes');
    const claimed = await withTenant(env.services.pool, org.id, (db) =>
      claimFile(db, {
        organizationId: org.id,
        sha256: randomBytes(32).toString('hex'),
        sizeBytes: 1,
        filename: 'batches.csv',
        objectKey: 'unused',
        auditId: null,
        processedBy: 'test',
      }),
    );
    expect(claimed).not.toBeNull();
    const fileId = claimed?.id;
    const client = await env.services.pool.connect();
    // The move is an INSERT ... SELECT on the writer's connection: count them as the writer issues them.
    const moves: number[] = [];
    let written = 0;
    const counting = new Proxy(client, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return (...args: Parameters<typeof client.query>) => {
          const text = args[0];
          if (typeof text === 'string' && text.includes('INSERT INTO storage_meta.file_chunks'))
            moves.push(written);
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      },
    });
    try {
      await client.query('BEGIN');
      await enterTenant(client, org.id);
      // The chunk cap stays far away: only the byte threshold can trigger a move before finish().
      const writer = await ChunkWriter.open(
        counting,
        { organizationId: org.id, fileId: fileId! },
        { moveEveryChunks: 1000, moveEveryBytes: 3 * PAYLOAD_BYTES },
      );
      for (let i = 0; i < 7; i++) {
        await writer.write(chunk(i));
        written++;
      }
      expect(await writer.finish()).toBe(7);
      // A move once 3,000 payload bytes are staged (after chunks 3 and 6), then the last chunk at finish().
      expect(moves).toEqual([2, 5, 7]);
      const { rows } = await client.query<{ n: number; hi: number }>(
        'SELECT count(*)::int AS n, max(chunk_index) AS hi FROM storage_meta.file_chunks WHERE file_id = $1',
        [fileId],
      );
      expect(rows[0]).toEqual({ n: 7, hi: 6 });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
