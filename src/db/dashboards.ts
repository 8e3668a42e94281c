import type { AuditStatus } from '../domain/index.js';
import type { Queryable } from './pool.js';

/** One stage of analytics.get_audit_funnel. */
export interface FunnelStage {
  stage: AuditStatus;
  reached: number;
  /** Share of the stage before that reached this one (failed, archived: of those created); null for draft. */
  conversion: number | null;
  /** Median seconds from the stage before (failed, archived: from creation); null when none reached it. */
  medianSeconds: number | null;
}

/** An organization's totals (analytics.organization_totals), live. */
export interface OrganizationTotals {
  files: { ready: number; failed: number; processing: number; archived: number };
  rows: number;
  bytes: { original: number; stored: number; archived: number };
  audits: { total: number; byStatus: Record<AuditStatus, number> };
  lastActivityAt: string | null;
}

/** Where an organization's bytes are (tenant.storage_usage_breakdown). */
export interface StorageBreakdown {
  originalBytes: number;
  storedBytes: number;
  archivedBytes: number;
  chargedBytes: number;
  quotaBytes: number | null;
}

export interface RecentAudit {
  auditId: string;
  name: string;
  status: AuditStatus;
  category: string | null;
  files: number;
  createdAt: string;
  updatedAt: string;
}

export interface Dashboard {
  totals: OrganizationTotals;
  storage: StorageBreakdown;
  funnel: { from: string; to: string; stages: FunnelStage[] };
  recentAudits: RecentAudit[];
}

type Row = Record<string, unknown>;
const n = (v: unknown): number => Number(v);
const nOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function funnelStages(rows: Row[]): FunnelStage[] {
  return rows.map((r) => ({
    stage: r.stage as AuditStatus,
    reached: n(r.reached),
    conversion: nOrNull(r.conversion),
    medianSeconds: nOrNull(r.median_seconds),
  }));
}

/** The funnel of the audits created from `from` to `to` (days, both included). */
export async function auditFunnel(
  db: Queryable,
  organizationId: string,
  from: string,
  to: string,
): Promise<FunnelStage[]> {
  const { rows } = await db.query<Row>(
    'SELECT stage, reached, conversion, median_seconds FROM analytics.get_audit_funnel($1, $2::date, $3::date)',
    [organizationId, from, to],
  );
  return funnelStages(rows);
}

/**
 * Everything GET /v1/dashboard shows, in one statement (one round trip): totals, storage breakdown, the
 * funnel for [from, to] and the `recent` audits changed last (audits_org_updated_idx).
 */
export async function dashboard(
  db: Queryable,
  organizationId: string,
  range: { from: string; to: string },
  recent: number,
): Promise<Dashboard> {
  const { rows } = await db.query<{ totals: Row; storage: Row; funnel: Row[] | null; recent: Row[] | null }>(
    `SELECT
       (SELECT to_jsonb(t) FROM analytics.organization_totals($1) t) AS totals,
       (SELECT to_jsonb(s) FROM tenant.storage_usage_breakdown($1) s) AS storage,
       (SELECT jsonb_agg(to_jsonb(f) ORDER BY f.position) FROM analytics.get_audit_funnel($1, $2::date, $3::date) f) AS funnel,
       (SELECT jsonb_agg(to_jsonb(r) ORDER BY r.updated_at DESC, r.id) FROM (
          SELECT a.id, a.name, a.status, a.category, a.created_at, a.updated_at,
            (SELECT count(*) FROM audit.audit_files af WHERE af.organization_id = a.organization_id AND af.audit_id = a.id) AS files
          FROM audit.audits a WHERE a.organization_id = $1 ORDER BY a.updated_at DESC, a.id LIMIT $4) r) AS recent`,
    [organizationId, range.from, range.to, recent],
  );
  const { totals: t, storage: s, funnel, recent: recentRows } = rows[0]!;
  return {
    totals: {
      files: {
        ready: n(t.ready_files),
        failed: n(t.failed_files),
        processing: n(t.processing_files),
        archived: n(t.archived_files),
      },
      rows: n(t.rows),
      bytes: { original: n(t.original_bytes), stored: n(t.stored_bytes), archived: n(t.archived_bytes) },
      audits: {
        total: n(t.audits),
        byStatus: {
          draft: n(t.audits_draft),
          collecting: n(t.audits_collecting),
          processing: n(t.audits_processing),
          ready: n(t.audits_ready),
          reviewed: n(t.audits_reviewed),
          failed: n(t.audits_failed),
          archived: n(t.audits_archived),
        },
      },
      lastActivityAt: t.last_activity_at ? new Date(t.last_activity_at as string).toISOString() : null,
    },
    storage: {
      originalBytes: n(s.original_bytes),
      storedBytes: n(s.stored_bytes),
      archivedBytes: n(s.archived_bytes),
      chargedBytes: n(s.charged_bytes),
      quotaBytes: nOrNull(s.quota_bytes),
    },
    funnel: { ...range, stages: funnelStages(funnel ?? []) },
    recentAudits: (recentRows ?? []).map((r) => ({
      auditId: r.id as string,
      name: r.name as string,
      status: r.status as AuditStatus,
      category: (r.category as string | null) ?? null,
      files: n(r.files),
      createdAt: new Date(r.created_at as string).toISOString(),
      updatedAt: new Date(r.updated_at as string).toISOString(),
    })),
  };
}

/** Per column over an audit's ready files: in how many files it appears, and its null and non-null counts. */
export interface AuditColumnMetrics {
  column: string;
  files: number;
  nulls: number;
  nonNulls: number;
}

/** The column metrics of an audit's ready files, summed per column name (analytics.metrics). */
export async function auditColumnMetrics(db: Queryable, auditId: string): Promise<AuditColumnMetrics[]> {
  const { rows } = await db.query<{ column_name: string; files: number; nulls: string; non_nulls: string }>(
    `SELECT m.column_name, count(DISTINCT m.file_id)::int AS files,
       coalesce(sum(m.numeric_value) FILTER (WHERE m.metric_type = 'null_count'), 0) AS nulls,
       coalesce(sum(m.numeric_value) FILTER (WHERE m.metric_type = 'non_null_count'), 0) AS non_nulls
     FROM audit.audit_files af
     JOIN analytics.metrics m ON m.organization_id = af.organization_id AND m.file_id = af.file_id
     WHERE af.audit_id = $1 AND m.column_name IS NOT NULL AND m.metric_type IN ('null_count', 'non_null_count')
     GROUP BY m.column_name ORDER BY min(m.column_index), m.column_name`,
    [auditId],
  );
  return rows.map((r) => ({
    column: r.column_name,
    files: r.files,
    nulls: Number(r.nulls),
    nonNulls: Number(r.non_nulls),
  }));
}
