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

/**
 * The index of the chunk holding the file's `row`-th accepted row (1-based, as first_row counts), from
 * the chunk rows' first_row and row_count alone (no payload is read); null when no chunk row holds it
 * (past the end, or the file is archived and its chunk rows live in the archive object).
 */
export async function chunkIndexForRow(
  db: Queryable,
  organizationId: string,
  fileId: string,
  row: number,
): Promise<number | null> {
  const { rows } = await db.query<{ chunk_index: number }>(
    `SELECT chunk_index FROM storage_meta.file_chunks
     WHERE organization_id = $1 AND file_id = $2 AND first_row <= $3 AND first_row + row_count > $3
     ORDER BY chunk_index LIMIT 1`,
    [organizationId, fileId, row],
  );
  return rows[0]?.chunk_index ?? null;
}
