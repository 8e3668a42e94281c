import type { Queryable } from './pool.js';

export interface StoredChunk {
  chunkIndex: number;
  firstRow: number;
  rowCount: number;
  rawBytes: number;
  xxh64: bigint;
  payload: Buffer;
}

/** A page of a file's chunks in order, starting at `fromIndex`. Paging bounds memory on export. */
export async function readChunks(
  db: Queryable,
  organizationId: string,
  fileId: string,
  fromIndex: number,
  limit: number,
): Promise<StoredChunk[]> {
  const { rows } = await db.query<{
    chunk_index: number;
    first_row: string;
    row_count: number;
    raw_bytes: number;
    xxh64: string;
    payload: Buffer;
  }>(
    `SELECT chunk_index, first_row, row_count, raw_bytes, xxh64, payload FROM storage_meta.file_chunks
     WHERE organization_id = $1 AND file_id = $2 AND chunk_index >= $3 ORDER BY chunk_index LIMIT $4`,
    [organizationId, fileId, fromIndex, limit],
  );
  return rows.map((r) => ({
    chunkIndex: r.chunk_index,
    firstRow: Number(r.first_row),
    rowCount: r.row_count,
    rawBytes: r.raw_bytes,
    xxh64: BigInt(r.xxh64),
    payload: r.payload,
  }));
}
