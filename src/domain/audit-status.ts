/**
 * Where an audit is in its state machine. Migration 0060 is the authority (audit.status_transition_allowed,
 * enforced by a trigger on audit.audits); this mirrors it so a refused transition gets a coded error before
 * the database is asked, and test/audits.status-machine.test.ts checks that both agree on every pair.
 *
 *   draft -> collecting -> processing -> ready -> reviewed
 *   collecting | processing -> failed -> collecting (retry)
 *   ready -> processing (analysed again)
 *   any status but archived -> archived (terminal)
 *
 * The time each status is first reached is kept (`<status>_at`), every transition in `status_history`.
 */
export const AUDIT_STATUSES = [
  'draft',
  'collecting',
  'processing',
  'ready',
  'reviewed',
  'failed',
  'archived',
] as const;

export type AuditStatus = (typeof AUDIT_STATUSES)[number];

/** The stages of the funnel, in order (failed and archived leave it). */
export const AUDIT_FUNNEL_STAGES = ['draft', 'collecting', 'processing', 'ready', 'reviewed'] as const;

const NEXT: Record<AuditStatus, readonly AuditStatus[]> = {
  draft: ['collecting', 'archived'],
  collecting: ['processing', 'failed', 'archived'],
  processing: ['ready', 'failed', 'archived'],
  ready: ['reviewed', 'processing', 'archived'],
  reviewed: ['archived'],
  failed: ['collecting', 'archived'],
  archived: [],
};

/** Whether an audit in `from` may move to `to`. */
export function auditTransitionAllowed(from: AuditStatus, to: AuditStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses an audit may move to `to` from. */
export function auditStatusesBefore(to: AuditStatus): AuditStatus[] {
  return AUDIT_STATUSES.filter((from) => NEXT[from].includes(to));
}

export function isAuditStatus(text: string): text is AuditStatus {
  return (AUDIT_STATUSES as readonly string[]).includes(text);
}
