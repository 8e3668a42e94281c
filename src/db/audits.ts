import type { AuditStatus } from '../domain/index.js';
import { auditStatusesBefore } from '../domain/index.js';
import { IngestError } from '../errors.js';
import type { Queryable } from './pool.js';

/**
 * A second statement sees a concurrent creator's row (see ensureAudit); a third attempt only covers that
 * audit being deleted in between, when the retry inserts it again.
 */
const ENSURE_ATTEMPTS = 3;

/**
 * The audit's id, created on first use (status `collecting`: it is created to receive a file). Runs under
 * a tenant context.
 */
export async function ensureAudit(db: Queryable, organizationId: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await db.query<{ id: string }>(
      `WITH inserted AS (
         INSERT INTO audit.audits (organization_id, name, status) VALUES ($1, $2, 'collecting')
         ON CONFLICT (organization_id, name) DO NOTHING RETURNING id)
       SELECT id FROM inserted UNION ALL SELECT id FROM audit.audits WHERE organization_id = $1 AND name = $2 LIMIT 1`,
      [organizationId, name],
    );
    const row = rows[0];
    if (row) return row.id;
    // No row: a concurrent transaction inserted the audit and committed while our insert waited for it,
    // after this statement's snapshot was taken, so neither part saw it. The next statement's snapshot
    // does (READ COMMITTED, as every tenant transaction runs).
    if (attempt >= ENSURE_ATTEMPTS) {
      throw new IngestError('INTERNAL', `audit ${JSON.stringify(name)} was neither created nor found`);
    }
  }
}

/** A period of whole days, both ends included (`YYYY-MM-DD`); an end left out is unbounded. */
export interface AuditPeriod {
  from: string | null;
  to: string | null;
}

export interface AuditRecord {
  id: string;
  name: string;
  description: string;
  category: string | null;
  status: AuditStatus;
  period: AuditPeriod | null;
  labels: Record<string, string>;
  createdBy: string | null;
  createdByApiKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The first time the audit reached each status it has reached. */
  statusTimes: Partial<Record<AuditStatus, Date>>;
  statusHistory: Array<{ status: AuditStatus; at: string }>;
  fileCount: number;
}

interface AuditRow {
  id: string;
  name: string;
  description: string;
  category: string | null;
  status: AuditStatus;
  has_period: boolean;
  period_from: string | null;
  period_to: string | null;
  labels: Record<string, string>;
  created_by: string | null;
  created_by_api_key_id: string | null;
  created_at: Date;
  updated_at: Date;
  collecting_at: Date | null;
  processing_at: Date | null;
  ready_at: Date | null;
  reviewed_at: Date | null;
  failed_at: Date | null;
  archived_at: Date | null;
  status_history: Array<{ status: AuditStatus; at: string }>;
  file_count: number;
  created_micros: string;
}

/** The period as inclusive days: PostgreSQL keeps a daterange as [from, to + 1). */
const AUDIT_COLUMNS = `a.id, a.name, a.description, a.category, a.status, a.period IS NOT NULL AS has_period,
  to_char(lower(a.period), 'YYYY-MM-DD') AS period_from, to_char(upper(a.period) - 1, 'YYYY-MM-DD') AS period_to,
  a.labels, a.created_by, a.created_by_api_key_id, a.created_at, a.updated_at, a.collecting_at, a.processing_at,
  a.ready_at, a.reviewed_at, a.failed_at, a.archived_at, a.status_history,
  (SELECT count(*)::int FROM audit.audit_files af WHERE af.organization_id = a.organization_id AND af.audit_id = a.id) AS file_count,
  (extract(epoch FROM a.created_at) * 1000000)::bigint::text AS created_micros`;

function toRecord(r: AuditRow): AuditRecord {
  const times: Partial<Record<AuditStatus, Date>> = { draft: r.created_at };
  const at = { ...r } as unknown as Record<string, Date | null>;
  for (const s of ['collecting', 'processing', 'ready', 'reviewed', 'failed', 'archived'] as const) {
    const t = at[`${s}_at`];
    if (t) times[s] = t;
  }
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    category: r.category,
    status: r.status,
    period: r.has_period ? { from: r.period_from, to: r.period_to } : null,
    labels: r.labels,
    createdBy: r.created_by,
    createdByApiKeyId: r.created_by_api_key_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    statusTimes: times,
    statusHistory: r.status_history,
    fileCount: r.file_count,
  };
}

/** SQL daterange text of an inclusive period, or null. Bound as a parameter, cast with ::daterange. */
function rangeText(period: AuditPeriod | null | undefined): string | null {
  if (!period) return null;
  return `[${period.from ?? ''},${period.to ?? ''}]`;
}

export interface NewAudit {
  name: string;
  description?: string;
  category?: string | null;
  period?: AuditPeriod | null;
  labels?: Record<string, string>;
  createdBy: string;
  createdByApiKeyId?: string | null;
}

/** Creates an audit (status draft), or throws AUDIT_EXISTS when the organization has one of that name. */
export async function createAudit(
  db: Queryable,
  organizationId: string,
  input: NewAudit,
): Promise<AuditRecord> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO audit.audits (organization_id, name, description, category, period, labels, created_by, created_by_api_key_id)
     VALUES ($1, $2, $3, $4, $5::daterange, $6, $7, $8)
     ON CONFLICT (organization_id, name) DO NOTHING RETURNING id`,
    [
      organizationId,
      input.name,
      input.description ?? '',
      input.category ?? null,
      rangeText(input.period),
      JSON.stringify(input.labels ?? {}),
      input.createdBy,
      input.createdByApiKeyId ?? null,
    ],
  );
  const id = rows[0]?.id;
  if (!id) throw auditExists(input.name);
  return (await getAudit(db, id))!;
}

function auditExists(name: string): IngestError {
  return new IngestError('AUDIT_EXISTS', `an audit named ${JSON.stringify(name)} already exists`, {
    audit: name,
  });
}

/** The audit with that id in the tenant context's organization, or null. */
export async function getAudit(db: Queryable, id: string): Promise<AuditRecord | null> {
  const { rows } = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit.audits a WHERE a.id = $1`, [
    id,
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** The audit with that name in the tenant context's organization, or null. */
export async function getAuditByName(db: Queryable, name: string): Promise<AuditRecord | null> {
  const { rows } = await db.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit.audits a WHERE a.name = $1`, [
    name,
  ]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/** Where a page of audits ends: the last audit's creation time (microseconds since the epoch) and id. */
export interface AuditCursor {
  createdMicros: string;
  id: string;
}

export interface AuditFilters {
  /** Full-text search over name and description (websearch syntax: words, "phrases", -not, or). */
  q?: string;
  status?: AuditStatus;
  category?: string;
  /** Audits whose period overlaps [from, to] (days, inclusive; either end may be left out). */
  from?: string;
  to?: string;
  /** Audits carrying every one of these labels. */
  labels?: Record<string, string>;
  after?: AuditCursor;
  limit: number;
}

/**
 * The listing statement, newest first: the order and cursor by audits_org_created_idx; ?q=, ?from=&to=
 * and labels through the definer functions of migration 0060, whose statements use audits_search_idx
 * (GIN), audits_period_idx (GiST, &&) and audits_labels_idx (GIN, @>): under row-level security the
 * planner would use none of them (test/audits.indexes.test.ts EXPLAINs both).
 */
export function listAuditsQuery(f: AuditFilters): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where: string[] = [];
  const param = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (f.q !== undefined) where.push(`a.id IN (SELECT audit.audits_matching_text(${param(f.q)}))`);
  if (f.status !== undefined) where.push(`a.status = ${param(f.status)}`);
  if (f.category !== undefined) where.push(`a.category = ${param(f.category)}`);
  if (f.from !== undefined || f.to !== undefined)
    where.push(
      `a.id IN (SELECT audit.audits_overlapping(daterange(${param(f.from ?? null)}::date, ${param(f.to ?? null)}::date, '[]')))`,
    );
  if (f.labels && Object.keys(f.labels).length > 0)
    where.push(`a.id IN (SELECT audit.audits_labelled(${param(JSON.stringify(f.labels))}::jsonb))`);
  if (f.after) {
    where.push(
      `(a.created_at, a.id) < (timestamptz 'epoch' + ${param(f.after.createdMicros)}::bigint * interval '1 microsecond', ${param(f.after.id)}::uuid)`,
    );
  }
  const text = `SELECT ${AUDIT_COLUMNS} FROM audit.audits a
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY a.created_at DESC, a.id DESC LIMIT ${param(f.limit + 1)}`;
  return { text, values };
}

/** One page of the tenant context's audits; `next` is the cursor of the last one when more may follow. */
export async function listAudits(
  db: Queryable,
  filters: AuditFilters,
): Promise<{ audits: AuditRecord[]; next: AuditCursor | null }> {
  const { text, values } = listAuditsQuery(filters);
  const { rows } = await db.query<AuditRow>(text, values);
  const page = rows.slice(0, filters.limit);
  const last = page.at(-1);
  return {
    audits: page.map(toRecord),
    next: rows.length > filters.limit && last ? { createdMicros: last.created_micros, id: last.id } : null,
  };
}

/** What PATCH changes. Not the name: uploads file into an audit by name (see migration 0060). */
export interface AuditChanges {
  description?: string;
  category?: string | null;
  period?: AuditPeriod | null;
  labels?: Record<string, string>;
}

/** Changes the audit's editable fields; null when there is no such audit. */
export async function updateAudit(
  db: Queryable,
  id: string,
  changes: AuditChanges,
): Promise<AuditRecord | null> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  const set = (column: string, value: unknown, cast = '') => {
    values.push(value);
    sets.push(`${column} = $${values.length}${cast}`);
  };
  if (changes.description !== undefined) set('description', changes.description);
  if (changes.category !== undefined) set('category', changes.category);
  if (changes.period !== undefined) set('period', rangeText(changes.period), '::daterange');
  if (changes.labels !== undefined) set('labels', JSON.stringify(changes.labels), '::jsonb');
  if (sets.length > 0) {
    await db.query(`UPDATE audit.audits SET ${sets.join(', ')} WHERE id = $1`, values);
  }
  return getAudit(db, id);
}

/**
 * Moves the audit to `to`, or throws AUDIT_TRANSITION when its current status may not (the
 * trigger of migration 0060 refuses it too, whoever writes). Only from a status it may leave: a
 * concurrent change in between makes the update match nothing, which is reported the same way.
 * Null when there is no such audit.
 */
export async function setAuditStatus(
  db: Queryable,
  id: string,
  to: AuditStatus,
): Promise<{ audit: AuditRecord; from: AuditStatus } | null> {
  const { rows } = await db.query<{ from_status: AuditStatus }>(
    `UPDATE audit.audits a SET status = $2 FROM (SELECT id, status FROM audit.audits WHERE id = $1 FOR UPDATE) old
     WHERE a.id = old.id AND old.status = ANY($3::text[]) RETURNING old.status AS from_status`,
    [id, to, auditStatusesBefore(to)],
  );
  const from = rows[0]?.from_status;
  const audit = await getAudit(db, id);
  if (!audit) return null;
  if (!from) {
    throw new IngestError(
      'AUDIT_TRANSITION',
      `audit ${JSON.stringify(audit.name)} cannot go from ${audit.status} to ${to}`,
      { audit: audit.id, from: audit.status, to },
    );
  }
  return { audit, from };
}

/** Deletes the audit (its file links go with it; the files stay). False when there is no such audit. */
export async function deleteAudit(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ deleted: boolean }>('SELECT audit.delete_audit($1) AS deleted', [id]);
  return rows[0]?.deleted === true;
}

/** Links a file to an audit; false when it already was. Both must exist in the organization. */
export async function attachFileToAudit(
  db: Queryable,
  organizationId: string,
  auditId: string,
  fileId: string,
  attachedBy: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO audit.audit_files (organization_id, audit_id, file_id, attached_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING`,
    [organizationId, auditId, fileId, attachedBy],
  );
  return (rowCount ?? 0) > 0;
}

/** Unlinks a file from an audit; false when it was not linked. */
export async function detachFileFromAudit(db: Queryable, auditId: string, fileId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM audit.audit_files WHERE audit_id = $1 AND file_id = $2', [
    auditId,
    fileId,
  ]);
  return (rowCount ?? 0) > 0;
}

export interface AuditFileRecord {
  fileId: string;
  filename: string;
  status: string;
  bytes: number;
  rows: number | null;
  storedBytes: number | null;
  rejectedRows: number | null;
  attachedAt: Date;
  attachedBy: string | null;
}

/** The audit's files, most recently attached first. */
export async function listAuditFiles(db: Queryable, auditId: string): Promise<AuditFileRecord[]> {
  const { rows } = await db.query<{
    id: string;
    filename: string;
    status: string;
    size_bytes: string;
    row_count: string | null;
    stored_bytes: string | null;
    rejected_row_count: string | null;
    attached_at: Date;
    attached_by: string | null;
  }>(
    `SELECT f.id, f.filename, f.status, f.size_bytes, f.row_count, f.stored_bytes, f.rejected_row_count,
       af.attached_at, af.attached_by
     FROM audit.audit_files af
     JOIN storage_meta.files f ON f.organization_id = af.organization_id AND f.id = af.file_id
     WHERE af.audit_id = $1 ORDER BY af.attached_at DESC, f.id`,
    [auditId],
  );
  return rows.map((r) => ({
    fileId: r.id,
    filename: r.filename,
    status: r.status,
    bytes: Number(r.size_bytes),
    rows: num(r.row_count),
    storedBytes: num(r.stored_bytes),
    rejectedRows: num(r.rejected_row_count),
    attachedAt: r.attached_at,
    attachedBy: r.attached_by,
  }));
}

/** Totals over an audit's ready files: what GET /v1/audits/:id shows as its results. */
export interface AuditTotals {
  files: number;
  readyFiles: number;
  rows: number;
  bytes: number;
  storedBytes: number;
  rejectedRows: number;
  /** Column names across its files, with how many files have each, most common first. */
  columns: Array<{ name: string; files: number }>;
}

export async function auditTotals(db: Queryable, auditId: string): Promise<AuditTotals> {
  const { rows } = await db.query<{
    files: number;
    ready_files: number;
    rows: string;
    bytes: string;
    stored_bytes: string;
    rejected_rows: string;
    columns: Array<{ name: string; files: number }> | null;
  }>(
    `WITH af AS (
       SELECT f.* FROM audit.audit_files l
       JOIN storage_meta.files f ON f.organization_id = l.organization_id AND f.id = l.file_id
       WHERE l.audit_id = $1)
     SELECT (SELECT count(*)::int FROM af) AS files,
       (SELECT count(*)::int FROM af WHERE status = 'ready') AS ready_files,
       (SELECT coalesce(sum(row_count), 0) FROM af WHERE status = 'ready') AS rows,
       (SELECT coalesce(sum(size_bytes), 0) FROM af WHERE status = 'ready') AS bytes,
       (SELECT coalesce(sum(stored_bytes), 0) FROM af WHERE status = 'ready') AS stored_bytes,
       (SELECT coalesce(sum(rejected_row_count), 0) FROM af WHERE status = 'ready') AS rejected_rows,
       (SELECT jsonb_agg(jsonb_build_object('name', name, 'files', n) ORDER BY n DESC, name)
        FROM (SELECT c->>'name' AS name, count(*)::int AS n FROM af, jsonb_array_elements(af.columns) c
              WHERE af.status = 'ready' GROUP BY 1) cols) AS columns`,
    [auditId],
  );
  const r = rows[0]!;
  return {
    files: r.files,
    readyFiles: r.ready_files,
    rows: Number(r.rows),
    bytes: Number(r.bytes),
    storedBytes: Number(r.stored_bytes),
    rejectedRows: Number(r.rejected_rows),
    columns: r.columns ?? [],
  };
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));
