import { IngestError } from '../errors.js';
import type { Queryable } from './pool.js';

/**
 * A second statement sees a concurrent creator's row (see ensureAudit); a third attempt only covers that
 * audit being deleted in between, when the retry inserts it again.
 */
const ENSURE_ATTEMPTS = 3;

/** The audit's id, created on first use. Runs under a tenant context. */
export async function ensureAudit(db: Queryable, organizationId: string, name: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { rows } = await db.query<{ id: string }>(
      `WITH inserted AS (
         INSERT INTO audit.audits (organization_id, name) VALUES ($1, $2)
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
