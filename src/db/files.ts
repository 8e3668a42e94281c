import type pg from 'pg';
import type { ColumnType, Dialect, FileStatus } from '../domain/index.js';
import { isUuid } from '../ids.js';
import type { Queryable } from './pool.js';
import { tenantStatement, uuidLiteral } from './tenant-context.js';

export interface FileColumn {
  name: string;
  originalName: string;
  type: ColumnType;
}

export interface FileRecord {
  id: string;
  organizationId: string;
  auditId: string | null;
  sha256: string;
  sizeBytes: number;
  filename: string;
  objectKey: string;
  status: FileStatus;
  dialect: Dialect | null;
  headerRaw: Buffer | null;
  columns: FileColumn[] | null;
  rowCount: number | null;
  chunkCount: number | null;
  storedBytes: number | null;
  rejectedRowCount: number | null;
  error: { code: string; message: string; line?: number } | null;
  createdAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
  /** Set when the chunk payloads live in an archive object instead of storage_meta.file_chunks. */
  archive: FileArchive | null;
}

/** Where an archived file's chunks are (see migration 0007). */
export interface FileArchive {
  archivedAt: Date;
  key: string;
  sha256: string;
  bytes: number;
}

interface FileRow {
  id: string;
  organization_id: string;
  audit_id: string | null;
  sha256: string;
  size_bytes: string;
  filename: string;
  object_key: string;
  status: FileStatus;
  dialect: Dialect | null;
  header_raw: Buffer | null;
  columns: FileColumn[] | null;
  row_count: string | null;
  chunk_count: number | null;
  stored_bytes: string | null;
  rejected_row_count: string | null;
  error: FileRecord['error'];
  created_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
  archived_at: Date | null;
  archive_key: string | null;
  archive_sha256: string | null;
  archive_bytes: string | null;
}

const COLUMNS = `id, organization_id, audit_id, sha256, size_bytes, filename, object_key, status, dialect, header_raw,
  columns, row_count, chunk_count, stored_bytes, rejected_row_count, error, created_at, finished_at, duration_ms,
  archived_at, archive_key, archive_sha256, archive_bytes`;

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function toFile(r: FileRow): FileRecord {
  return {
    id: r.id,
    organizationId: r.organization_id,
    auditId: r.audit_id,
    sha256: r.sha256,
    sizeBytes: Number(r.size_bytes),
    filename: r.filename,
    objectKey: r.object_key,
    status: r.status,
    dialect: r.dialect,
    headerRaw: r.header_raw,
    columns: r.columns,
    rowCount: num(r.row_count),
    chunkCount: r.chunk_count,
    storedBytes: num(r.stored_bytes),
    rejectedRowCount: num(r.rejected_row_count),
    error: r.error,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
    archive:
      r.archived_at && r.archive_key && r.archive_sha256 && r.archive_bytes !== null
        ? {
            archivedAt: r.archived_at,
            key: r.archive_key,
            sha256: r.archive_sha256,
            bytes: Number(r.archive_bytes),
          }
        : null,
  };
}

export async function findFileBySha(
  db: Queryable,
  organizationId: string,
  sha256: string,
): Promise<FileRecord | null> {
  const { rows } = await db.query<FileRow>(
    `SELECT ${COLUMNS} FROM storage_meta.files WHERE organization_id = $1 AND sha256 = $2`,
    [organizationId, sha256],
  );
  return rows[0] ? toFile(rows[0]) : null;
}

/** A file by id, as visible to the current tenant context (RLS hides other organizations' files). */
export async function getFile(db: Queryable, fileId: string): Promise<FileRecord | null> {
  const { rows } = await db.query<FileRow>(`SELECT ${COLUMNS} FROM storage_meta.files WHERE id = $1`, [
    fileId,
  ]);
  return rows[0] ? toFile(rows[0]) : null;
}

/** The file row an ingest took with claimFile. */
export interface ClaimedFile {
  id: string;
  auditId: string | null;
}

/**
 * Takes the (organization, sha256) row for this ingest: inserts it as processing, or turns a row left
 * processing/failed by an earlier attempt back into processing. Returns null when the row is ready
 * (the upload is a duplicate). The caller holds the file's advisory lock, so no live ingest owns the row.
 * The claimed row's audit id comes back with it: its metric rows are filed under the same audit.
 */
export async function claimFile(
  db: Queryable,
  input: {
    organizationId: string;
    sha256: string;
    sizeBytes: number;
    filename: string;
    objectKey: string;
    auditId: string | null;
    processedBy: string;
  },
): Promise<ClaimedFile | null> {
  const { rows } = await db.query<{ id: string; audit_id: string | null }>(
    `INSERT INTO storage_meta.files (organization_id, sha256, size_bytes, filename, object_key, audit_id, status, processed_by, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'processing', $7, now())
     ON CONFLICT (organization_id, sha256) DO UPDATE SET
       status = 'processing', size_bytes = EXCLUDED.size_bytes, filename = EXCLUDED.filename, object_key = EXCLUDED.object_key,
       audit_id = EXCLUDED.audit_id, processed_by = EXCLUDED.processed_by, started_at = now(), error = NULL, finished_at = NULL
     WHERE storage_meta.files.status <> 'ready'
     RETURNING id, audit_id`,
    [
      input.organizationId,
      input.sha256,
      input.sizeBytes,
      input.filename,
      input.objectKey,
      input.auditId,
      input.processedBy,
    ],
  );
  const row = rows[0];
  return row ? { id: row.id, auditId: row.audit_id } : null;
}

export interface CompletedFile {
  dialect: Dialect;
  headerRaw: Buffer;
  columns: FileColumn[];
  rowCount: number;
  chunkCount: number;
  storedBytes: number;
  rejectedRowCount: number;
  durationMs: number;
}

/** processing -> ready, in the same transaction as the file's chunks and metrics. */
export async function markFileReady(
  db: Queryable,
  organizationId: string,
  fileId: string,
  done: CompletedFile,
): Promise<void> {
  await db.query(
    `UPDATE storage_meta.files SET status = 'ready', dialect = $3, header_raw = $4, columns = $5, row_count = $6,
       chunk_count = $7, stored_bytes = $8, rejected_row_count = $9, duration_ms = $10, finished_at = now(), error = NULL
     WHERE organization_id = $1 AND id = $2 AND status = 'processing'`,
    [
      organizationId,
      fileId,
      JSON.stringify(done.dialect),
      done.headerRaw,
      JSON.stringify(done.columns),
      done.rowCount,
      done.chunkCount,
      done.storedBytes,
      done.rejectedRowCount,
      Math.round(done.durationMs),
    ],
  );
}

export async function deleteFileRow(db: Queryable, organizationId: string, fileId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'DELETE FROM storage_meta.files WHERE organization_id = $1 AND id = $2',
    [organizationId, fileId],
  );
  return (rowCount ?? 0) > 0;
}

/** The newest `limit` files (the CLI's listing; the API pages with listFilesPage). */
export async function listFiles(db: Queryable, options: { limit: number }): Promise<FileRecord[]> {
  const { rows } = await db.query<FileRow>(
    `SELECT ${COLUMNS} FROM storage_meta.files ORDER BY created_at DESC, id DESC LIMIT $1`,
    [options.limit],
  );
  return rows.map(toFile);
}

/** The organization owning a file id. Operator path (login role, no tenant context): the CLI's export. */
export async function findFileOrganizationId(db: Queryable, fileId: string): Promise<string | null> {
  if (!isUuid(fileId)) return null;
  const { rows } = await db.query<{ organization_id: string }>(
    'SELECT organization_id FROM storage_meta.files WHERE id = $1',
    [fileId],
  );
  return rows[0]?.organization_id ?? null;
}

/** Where a page of files ends: the last file's creation time (microseconds since the epoch) and id. */
export interface FileCursor {
  createdMicros: string;
  id: string;
}

/** A file as listings show it: no header bytes, dialect or column schema, only the column count. */
export interface FileSummaryRecord {
  id: string;
  auditId: string | null;
  sha256: string;
  sizeBytes: number;
  filename: string;
  status: FileStatus;
  columnCount: number | null;
  rowCount: number | null;
  chunkCount: number | null;
  storedBytes: number | null;
  rejectedRowCount: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

interface FileSummaryRow {
  id: string;
  audit_id: string | null;
  sha256: string;
  size_bytes: string;
  filename: string;
  status: FileStatus;
  column_count: number | null;
  row_count: string | null;
  chunk_count: number | null;
  stored_bytes: string | null;
  rejected_row_count: string | null;
  created_at: Date;
  finished_at: Date | null;
  created_micros: string;
}

const MICROS = /^-?\d{1,20}$/;

/**
 * One page of an organization's files, newest first, after `after` (keyset pagination, so concurrent
 * inserts never shift a page). `next` is the cursor of the last file when more may follow. The cursor
 * keeps PostgreSQL's microseconds: a JavaScript Date would round them and skip files.
 *
 * One round trip (tenantStatement), since dashboards poll it: the values are written into the
 * statement after checking them (UUIDs, integers). Only the summary columns are read: the header
 * bytes and JSON columns of 50 files cost more to parse than the rest of the request.
 */
export async function listFilesPage(
  pool: pg.Pool,
  organizationId: string,
  options: { limit: number; after?: FileCursor },
): Promise<{ files: FileSummaryRecord[]; next: FileCursor | null }> {
  const { limit, after } = options;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new Error(`limit must be a positive integer, got ${limit}`);
  if (after && !MICROS.test(after.createdMicros))
    throw new Error(
      `cursor time must be an integer, got ${JSON.stringify(after.createdMicros.slice(0, 40))}`,
    );
  const where = after
    ? `WHERE (created_at, id) < (timestamptz 'epoch' + ${after.createdMicros}::bigint * interval '1 microsecond', ${uuidLiteral(after.id)}::uuid)`
    : '';
  const rows = await tenantStatement<FileSummaryRow>(
    pool,
    organizationId,
    `SELECT id, audit_id, sha256, size_bytes, filename, status, jsonb_array_length(columns) AS column_count,
       row_count, chunk_count, stored_bytes, rejected_row_count, created_at, finished_at,
       (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_micros
     FROM storage_meta.files ${where}
     ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`,
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    files: page.map((r) => ({
      id: r.id,
      auditId: r.audit_id,
      sha256: r.sha256,
      sizeBytes: Number(r.size_bytes),
      filename: r.filename,
      status: r.status,
      columnCount: r.column_count,
      rowCount: num(r.row_count),
      chunkCount: r.chunk_count,
      storedBytes: num(r.stored_bytes),
      rejectedRowCount: num(r.rejected_row_count),
      createdAt: r.created_at,
      finishedAt: r.finished_at,
    })),
    next: rows.length > limit && last ? { createdMicros: last.created_micros, id: last.id } : null,
  };
}
