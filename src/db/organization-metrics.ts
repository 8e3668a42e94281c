import type { Queryable } from './pool.js';

/** One organization's totals from analytics.organization_metrics, as of its last refresh. */
export interface OrganizationMetrics {
  slug: string;
  readyFiles: number;
  failedFiles: number;
  originalBytes: number;
  storedBytes: number;
  rows: number;
  refreshedAt: Date;
}

/**
 * Recomputes analytics.organization_metrics. CONCURRENTLY (it has a unique index): dashboards reading it
 * are not blocked while it refreshes. Run on demand or on a schedule, never per query.
 */
export async function refreshOrganizationMetrics(db: Queryable): Promise<void> {
  await db.query('REFRESH MATERIALIZED VIEW CONCURRENTLY analytics.organization_metrics');
}

/** Every organization's totals (the login role: this spans tenants), largest stored first. */
export async function listOrganizationMetrics(db: Queryable): Promise<OrganizationMetrics[]> {
  const { rows } = await db.query<{
    slug: string;
    ready_files: string;
    failed_files: string;
    original_bytes: string;
    stored_bytes: string;
    rows: string;
    refreshed_at: Date;
  }>(
    `SELECT o.slug, m.ready_files, m.failed_files, m.original_bytes, m.stored_bytes, m.rows, m.refreshed_at
     FROM analytics.organization_metrics m JOIN tenant.organizations o ON o.id = m.organization_id
     ORDER BY m.stored_bytes DESC, o.slug`,
  );
  return rows.map((r) => ({
    slug: r.slug,
    readyFiles: Number(r.ready_files),
    failedFiles: Number(r.failed_files),
    originalBytes: Number(r.original_bytes),
    storedBytes: Number(r.stored_bytes),
    rows: Number(r.rows),
    refreshedAt: r.refreshed_at,
  }));
}
