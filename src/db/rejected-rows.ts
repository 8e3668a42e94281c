import type { Queryable } from './pool.js';

export interface RejectedRowRecord {
  line: number;
  code: string;
  reason: string;
  raw: string;
  /** Kept after a repair by the lenient policy, rather than rejected. */
  kept?: boolean;
}

/** Inserts rejected rows in one statement per batch (arrays unnested server-side). */
export async function insertRejectedRows(
  db: Queryable,
  organizationId: string,
  fileId: string,
  rows: RejectedRowRecord[],
): Promise<void> {
  const BATCH = 5000;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await db.query(
      `INSERT INTO storage_meta.rejected_rows (organization_id, file_id, line, code, reason, raw, kept)
       SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::boolean[])`,
      [
        organizationId,
        fileId,
        batch.map((r) => r.line),
        batch.map((r) => r.code),
        batch.map((r) => r.reason),
        batch.map((r) => r.raw),
        batch.map((r) => r.kept === true),
      ],
    );
  }
}

export async function listRejectedRows(
  db: Queryable,
  fileId: string,
  limit = 100,
): Promise<RejectedRowRecord[]> {
  const { rows } = await db.query<{ line: string; code: string; reason: string; raw: string; kept: boolean }>(
    'SELECT line, code, reason, raw, kept FROM storage_meta.rejected_rows WHERE file_id = $1 ORDER BY line LIMIT $2',
    [fileId, limit],
  );
  return rows.map((r) => ({
    line: Number(r.line),
    code: r.code,
    reason: r.reason,
    raw: r.raw,
    ...(r.kept && { kept: true }),
  }));
}

/** A page of a file's recorded rejected rows in line order, and how many are recorded in all. */
export async function listRejectedRowsPage(
  db: Queryable,
  organizationId: string,
  fileId: string,
  page: { offset: number; limit: number },
): Promise<{ rows: RejectedRowRecord[]; total: number }> {
  const { rows } = await db.query<{ line: string; code: string; reason: string; raw: string; total: string }>(
    `SELECT line, code, reason, raw, count(*) OVER () AS total FROM storage_meta.rejected_rows
     WHERE organization_id = $1 AND file_id = $2 ORDER BY line OFFSET $3 LIMIT $4`,
    [organizationId, fileId, page.offset, page.limit],
  );
  let total = Number(rows[0]?.total ?? 0);
  if (rows.length === 0 && page.offset > 0) {
    // OFFSET past the end leaves no row to carry the count.
    const counted = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM storage_meta.rejected_rows WHERE organization_id = $1 AND file_id = $2',
      [organizationId, fileId],
    );
    total = Number(counted.rows[0]?.n ?? 0);
  }
  return {
    rows: rows.map((r) => ({ line: Number(r.line), code: r.code, reason: r.reason, raw: r.raw })),
    total,
  };
}
