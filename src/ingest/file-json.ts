import type { FileRecord, FileSummaryRecord } from '../db/index.js';

/** A file as `GET /v1/files` and `ingest files --json` show it. */
export function fileSummary(f: FileSummaryRecord) {
  return {
    fileId: f.id,
    filename: f.filename,
    status: f.status,
    sha256: f.sha256,
    bytes: f.sizeBytes,
    rows: f.rowCount,
    columns: f.columnCount,
    chunks: f.chunkCount,
    storedBytes: f.storedBytes,
    rejectedRows: f.rejectedRowCount,
    auditId: f.auditId,
    createdAt: f.createdAt.toISOString(),
    finishedAt: f.finishedAt?.toISOString() ?? null,
  };
}

/** A file with its dialect and column schema, for GET /v1/files/:id. */
export function fileDetail(f: FileRecord) {
  return {
    ...fileSummary({ ...f, columnCount: f.columns?.length ?? null }),
    encoding: f.dialect?.encoding ?? null,
    delimiter: f.dialect?.delimiter ?? null,
    durationMs: f.durationMs,
    schema: (f.columns ?? []).map((c) => ({ name: c.name, originalName: c.originalName, type: c.type })),
  };
}
