import type { Queryable } from './pool.js';

/** Who did what to which target. `actor` is `cli:<user>`, `api` (a key) or `user:<user id>`. */
export interface ActivityEntry {
  organizationId: string;
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | null;
  apiKeyId?: string | null;
  /** The signed-in user who acted (migration 0030), when a person did. */
  userId?: string | null;
  clientAddress?: string | null;
  details?: Record<string, unknown>;
}

export async function logActivity(db: Queryable, entry: ActivityEntry): Promise<void> {
  await db.query(
    `INSERT INTO logs.activity_log (organization_id, actor, action, target_type, target_id, api_key_id, client_address, details, user_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      entry.organizationId,
      entry.actor,
      entry.action,
      entry.targetType,
      entry.targetId ?? null,
      entry.apiKeyId ?? null,
      entry.clientAddress ?? null,
      JSON.stringify(entry.details ?? {}),
      entry.userId ?? null,
    ],
  );
}
