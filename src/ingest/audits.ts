import type pg from 'pg';
import {
  type AuditChanges,
  type AuditFileRecord,
  type AuditFilters,
  type AuditRecord,
  type AuditTotals,
  attachFileToAudit,
  auditTotals,
  createAudit,
  deleteAudit,
  detachFileFromAudit,
  getAudit,
  getAuditByName,
  getFile,
  listAuditFiles,
  listAudits,
  logActivity,
  type NewAudit,
  setAuditStatus,
  updateAudit,
  withTenant,
} from '../db/index.js';
import type { AuditStatus } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Actor } from './types.js';

/*
 * The audit operations the server and the CLI share: each runs in one tenant transaction with its
 * activity-log entry (target_type 'audit'), so a change and its record commit together.
 */

function auditNotFound(ref: string): IngestError {
  return new IngestError('AUDIT_NOT_FOUND', `no audit ${JSON.stringify(ref.slice(0, 200))}`, {
    audit: ref.slice(0, 200),
  });
}

function activity(organizationId: string, actor: Actor, action: string, auditId: string, details: object) {
  return {
    organizationId,
    actor: actor.name,
    apiKeyId: actor.apiKeyId ?? null,
    clientAddress: actor.clientAddress ?? null,
    action,
    targetType: 'audit',
    targetId: auditId,
    details: details as Record<string, unknown>,
  };
}

/** The audit an id (or, when `byName`, a name) names in the transaction's organization, or AUDIT_NOT_FOUND. */
async function resolve(db: pg.ClientBase, ref: string, byName: boolean): Promise<AuditRecord> {
  const audit = isUuid(ref) ? await getAudit(db, ref) : null;
  const named = !audit && byName ? await getAuditByName(db, ref) : null;
  const found = audit ?? named;
  if (!found) throw auditNotFound(ref);
  return found;
}

export interface AuditRef {
  organizationId: string;
  /** An id; or a name too when `byName` (the CLI's `ingest audit show <id|name>`). */
  audit: string;
  byName?: boolean;
}

export async function newAudit(
  pool: pg.Pool,
  organizationId: string,
  input: Omit<NewAudit, 'createdBy' | 'createdByApiKeyId'>,
  actor: Actor,
): Promise<AuditRecord> {
  return withTenant(pool, organizationId, async (db) => {
    const audit = await createAudit(db, organizationId, {
      ...input,
      createdBy: actor.name,
      createdByApiKeyId: actor.apiKeyId ?? null,
    });
    await logActivity(db, activity(organizationId, actor, 'audit.create', audit.id, { name: audit.name }));
    return audit;
  });
}

export async function findAudits(pool: pg.Pool, organizationId: string, filters: AuditFilters) {
  return withTenant(pool, organizationId, (db) => listAudits(db, filters));
}

/** An audit with its files and results (totals over its ready files). */
export interface AuditDetail {
  audit: AuditRecord;
  files: AuditFileRecord[];
  totals: AuditTotals;
}

export async function showAudit(pool: pg.Pool, ref: AuditRef): Promise<AuditDetail> {
  return withTenant(pool, ref.organizationId, async (db) => {
    const audit = await resolve(db, ref.audit, ref.byName ?? false);
    return { audit, files: await listAuditFiles(db, audit.id), totals: await auditTotals(db, audit.id) };
  });
}

/** Changes the audit's fields and, when `status` is given, moves it there: both or neither. */
export async function changeAudit(
  pool: pg.Pool,
  ref: AuditRef,
  changes: AuditChanges,
  status: AuditStatus | undefined,
  actor: Actor,
): Promise<AuditRecord> {
  return withTenant(pool, ref.organizationId, async (db) => {
    const audit = await resolve(db, ref.audit, ref.byName ?? false);
    let changed = audit;
    const fields = Object.keys(changes);
    if (fields.length > 0) {
      changed = (await updateAudit(db, audit.id, changes))!;
      await logActivity(db, activity(ref.organizationId, actor, 'audit.update', audit.id, { fields }));
    }
    if (status !== undefined && status !== audit.status) {
      const moved = await setAuditStatus(db, audit.id, status);
      if (!moved) throw auditNotFound(ref.audit);
      await logActivity(
        db,
        activity(ref.organizationId, actor, 'audit.status', audit.id, { from: moved.from, to: status }),
      );
      changed = moved.audit;
    }
    return changed;
  });
}

/** Moves the audit to `to` (AUDIT_TRANSITION when its status may not go there). */
export function moveAudit(pool: pg.Pool, ref: AuditRef, to: AuditStatus, actor: Actor): Promise<AuditRecord> {
  return changeAudit(pool, ref, {}, to, actor);
}

export async function removeAudit(pool: pg.Pool, ref: AuditRef, actor: Actor): Promise<void> {
  await withTenant(pool, ref.organizationId, async (db) => {
    const audit = await resolve(db, ref.audit, ref.byName ?? false);
    if (!(await deleteAudit(db, audit.id))) throw auditNotFound(ref.audit);
    await logActivity(
      db,
      activity(ref.organizationId, actor, 'audit.delete', audit.id, { name: audit.name }),
    );
  });
}

/**
 * Links a file to an audit; `attached` is false when it already was. A file of another organization is
 * as absent as one that never existed (FILE_NOT_FOUND).
 */
export async function attachFile(
  pool: pg.Pool,
  ref: AuditRef,
  fileId: string,
  actor: Actor,
): Promise<{ audit: AuditRecord; attached: boolean }> {
  return withTenant(pool, ref.organizationId, async (db) => {
    const audit = await resolve(db, ref.audit, ref.byName ?? false);
    const file = isUuid(fileId) ? await getFile(db, fileId) : null;
    if (file?.status !== 'ready')
      throw new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId: fileId.slice(0, 64) });
    const attached = await attachFileToAudit(db, ref.organizationId, audit.id, file.id, actor.name);
    if (attached)
      await logActivity(
        db,
        activity(ref.organizationId, actor, 'audit.file_attach', audit.id, { fileId: file.id }),
      );
    return { audit, attached };
  });
}

/** Unlinks a file from an audit (the file stays); FILE_NOT_FOUND when it was not in the audit. */
export async function detachFile(pool: pg.Pool, ref: AuditRef, fileId: string, actor: Actor): Promise<void> {
  await withTenant(pool, ref.organizationId, async (db) => {
    const audit = await resolve(db, ref.audit, ref.byName ?? false);
    if (!isUuid(fileId) || !(await detachFileFromAudit(db, audit.id, fileId)))
      throw new IngestError('FILE_NOT_FOUND', `no file ${fileId} in audit ${audit.name}`, {
        fileId: fileId.slice(0, 64),
      });
    await logActivity(db, activity(ref.organizationId, actor, 'audit.file_detach', audit.id, { fileId }));
  });
}

/** An audit as the API and `--json` show it. */
export function auditJson(a: AuditRecord) {
  return {
    auditId: a.id,
    name: a.name,
    description: a.description,
    category: a.category,
    status: a.status,
    period: a.period,
    labels: a.labels,
    createdBy: a.createdBy,
    createdByKeyId: a.createdByApiKeyId,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    statusTimes: Object.fromEntries(Object.entries(a.statusTimes).map(([s, t]) => [s, t.toISOString()])),
    statusHistory: a.statusHistory,
    files: a.fileCount,
  };
}

export function auditDetailJson(d: AuditDetail) {
  return {
    ...auditJson(d.audit),
    files: d.files.map((f) => ({ ...f, attachedAt: f.attachedAt.toISOString() })),
    results: d.totals,
  };
}
