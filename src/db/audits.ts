import type { Queryable } from './pool.js';

/** The audit's id, created on first use. Runs under a tenant context. */
export async function ensureAudit(db: Queryable, organizationId: string, name: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `WITH inserted AS (
       INSERT INTO audit.audits (organization_id, name) VALUES ($1, $2)
       ON CONFLICT (organization_id, name) DO NOTHING RETURNING id)
     SELECT id FROM inserted UNION ALL SELECT id FROM audit.audits WHERE organization_id = $1 AND name = $2 LIMIT 1`,
    [organizationId, name],
  );
  return rows[0]!.id;
}
