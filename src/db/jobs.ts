import type { Queryable } from './pool.js';

/** A job as its organization sees it (storage_meta.jobs, migration 0040). */
export interface JobRecord {
  id: string;
  organizationId: string;
  kind: 'ingest';
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  filename: string;
  stagedKey: string;
  options: Record<string, unknown>;
  attempts: number;
  bytesTotal: number | null;
  bytesDone: number;
  rowsDone: number;
  fileId: string | null;
  result: Record<string, unknown> | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

interface JobRow {
  id: string;
  organization_id: string;
  kind: 'ingest';
  state: JobRecord['state'];
  filename: string;
  staged_key: string;
  options: Record<string, unknown>;
  attempts: number;
  bytes_total: string | null;
  bytes_done: string;
  rows_done: string;
  file_id: string | null;
  result: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    kind: row.kind,
    state: row.state,
    filename: row.filename,
    stagedKey: row.staged_key,
    options: row.options,
    attempts: row.attempts,
    bytesTotal: row.bytes_total === null ? null : Number(row.bytes_total),
    bytesDone: Number(row.bytes_done),
    rowsDone: Number(row.rows_done),
    fileId: row.file_id,
    result: row.result,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export interface NewJob {
  id: string;
  organizationId: string;
  filename: string;
  stagedKey: string;
  bytesTotal: number;
  options: Record<string, unknown>;
}

/** Records a queued ingest job (in the tenant context of its organization). */
export async function insertJob(db: Queryable, job: NewJob): Promise<void> {
  await db.query(
    `INSERT INTO storage_meta.jobs (id, organization_id, kind, filename, staged_key, bytes_total, options)
     VALUES ($1, $2, 'ingest', $3, $4, $5, $6)`,
    [job.id, job.organizationId, job.filename, job.stagedKey, job.bytesTotal, JSON.stringify(job.options)],
  );
}

/** The job, or null when it does not exist or belongs to another organization (RLS). */
export async function getJob(db: Queryable, id: string): Promise<JobRecord | null> {
  const { rows } = await db.query<JobRow>('SELECT * FROM storage_meta.jobs WHERE id = $1', [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** The newest jobs first; all organizations' as the login role, the current one's under RLS. */
export async function listJobs(
  db: Queryable,
  options: { limit: number; state?: string },
): Promise<JobRecord[]> {
  const { rows } = await db.query<JobRow>(
    `SELECT * FROM storage_meta.jobs WHERE ($1::text IS NULL OR state = $1)
     ORDER BY created_at DESC, id LIMIT $2`,
    [options.state ?? null, options.limit],
  );
  return rows.map(toRecord);
}

/**
 * Counts an attempt and marks the job running, unless it is already finished (a duplicate delivery,
 * or cancelled meanwhile). Returns the job as it now is, or null when it is not to be run.
 */
export async function markJobRunning(db: Queryable, id: string): Promise<JobRecord | null> {
  const { rows } = await db.query<JobRow>(
    `UPDATE storage_meta.jobs SET state = 'running', attempts = attempts + 1, started_at = now(),
       bytes_done = 0, updated_at = now()
     WHERE id = $1 AND state IN ('queued', 'running') RETURNING *`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function markJobProgress(db: Queryable, id: string, bytesDone: number): Promise<void> {
  await db.query(
    `UPDATE storage_meta.jobs SET bytes_done = $2, updated_at = now() WHERE id = $1 AND state = 'running'`,
    [id, bytesDone],
  );
}

export async function markJobSucceeded(
  db: Queryable,
  id: string,
  outcome: { fileId: string; rows: number; bytes: number; result: Record<string, unknown> },
): Promise<void> {
  await db.query(
    `UPDATE storage_meta.jobs SET state = 'succeeded', file_id = $2, rows_done = $3, bytes_done = $4,
       result = $5, error_code = NULL, error_message = NULL, finished_at = now(), updated_at = now()
     WHERE id = $1 AND state = 'running'`,
    [id, outcome.fileId, outcome.rows, outcome.bytes, JSON.stringify(outcome.result)],
  );
}

export async function markJobFailed(db: Queryable, id: string, code: string, message: string): Promise<void> {
  await db.query(
    `UPDATE storage_meta.jobs SET state = 'failed', error_code = $2, error_message = $3, finished_at = now(),
       updated_at = now()
     WHERE id = $1 AND state IN ('queued', 'running')`,
    [id, code, message],
  );
}

/** Cancels a job not yet finished; false when it had already finished. */
export async function markJobCancelled(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE storage_meta.jobs SET state = 'cancelled', finished_at = now(), updated_at = now()
     WHERE id = $1 AND state IN ('queued', 'running')`,
    [id],
  );
  return (rowCount ?? 0) > 0;
}

/** Puts a failed job back in the queue state; false when it is not failed. */
export async function requeueJob(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE storage_meta.jobs SET state = 'queued', error_code = NULL, error_message = NULL, finished_at = NULL,
       updated_at = now()
     WHERE id = $1 AND state = 'failed'`,
    [id],
  );
  return (rowCount ?? 0) > 0;
}
