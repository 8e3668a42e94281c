import type pg from 'pg';
import {
  type AuditColumnMetrics,
  type AuditTotals,
  auditColumnMetrics,
  auditTotals,
  type Dashboard,
  dashboard,
  getAudit,
  withTenant,
} from '../db/index.js';
import { AUDIT_FUNNEL_STAGES, type AuditStatus } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';

/** Days the dashboard's funnel covers when no range is given: the last 30, today included. */
const DEFAULT_FUNNEL_DAYS = 30;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** [from, to] as given, the missing ends filled: to = today (UTC), from = 29 days before `to`. */
export function funnelRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const end = to ?? isoDay(new Date());
  const start =
    from ?? isoDay(new Date(Date.parse(`${end}T00:00:00Z`) - (DEFAULT_FUNNEL_DAYS - 1) * 86_400_000));
  if (start > end)
    throw new IngestError('INVALID_OPTION', `from (${start}) must not be after to (${end})`, {
      option: 'from',
    });
  return { from: start, to: end };
}

/** GET /v1/dashboard: one statement under the organization's tenant context. */
export async function organizationDashboard(
  pool: pg.Pool,
  organizationId: string,
  range: { from: string; to: string },
  recent: number,
): Promise<Dashboard> {
  return withTenant(pool, organizationId, (db) => dashboard(db, organizationId, range, recent));
}

export interface AuditMetrics {
  auditId: string;
  name: string;
  status: AuditStatus;
  totals: AuditTotals;
  /** Seconds between consecutive funnel stages this audit reached, e.g. {"draft->collecting": 12.5}. */
  stageSeconds: Record<string, number>;
  columns: AuditColumnMetrics[];
}

/** GET /v1/audits/:id/metrics: the audit's totals, time per stage and column metrics. */
export async function auditMetrics(pool: pg.Pool, organizationId: string, id: string): Promise<AuditMetrics> {
  return withTenant(pool, organizationId, async (db) => {
    const audit = isUuid(id) ? await getAudit(db, id) : null;
    if (!audit) {
      throw new IngestError('AUDIT_NOT_FOUND', `no audit ${JSON.stringify(id.slice(0, 200))}`, {
        audit: id.slice(0, 200),
      });
    }
    const stageSeconds: Record<string, number> = {};
    for (let i = 1; i < AUDIT_FUNNEL_STAGES.length; i++) {
      const before = audit.statusTimes[AUDIT_FUNNEL_STAGES[i - 1]!];
      const at = audit.statusTimes[AUDIT_FUNNEL_STAGES[i]!];
      if (before && at)
        stageSeconds[`${AUDIT_FUNNEL_STAGES[i - 1]}->${AUDIT_FUNNEL_STAGES[i]}`] =
          (at.getTime() - before.getTime()) / 1000;
    }
    return {
      auditId: audit.id,
      name: audit.name,
      status: audit.status,
      totals: await auditTotals(db, audit.id),
      stageSeconds,
      columns: await auditColumnMetrics(db, audit.id),
    };
  });
}
