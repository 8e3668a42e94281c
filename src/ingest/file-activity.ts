import type { ActivityEntry } from '../db/index.js';
import type { Actor } from './types.js';

/** The activity-log entry of `action` on a file, done by `actor` (a library caller when absent). */
export function fileActivity(
  organizationId: string,
  actor: Actor | undefined,
  action: string,
  fileId: string,
  details: Record<string, unknown>,
): ActivityEntry {
  return {
    organizationId,
    actor: actor?.name ?? 'library',
    apiKeyId: actor?.apiKeyId ?? null,
    userId: actor?.userId ?? null,
    clientAddress: actor?.clientAddress ?? null,
    action,
    targetType: 'file',
    targetId: fileId,
    details,
  };
}
