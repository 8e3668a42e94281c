import { statfs } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type pg from 'pg';
import {
  activityPartitionsAhead,
  listProcessingFiles,
  organizationMetricsRefreshedAt,
  pendingMigrations,
  queueBacklog,
  serverVersion,
  tryLockFile,
  unlockFile,
} from '../db/index.js';
import { coerceError } from '../errors.js';
import type { ObjectStore } from '../storage/index.js';
import { formatBytes } from '../units.js';

/** ok: fine; warn: worth a look, not failing; fail: exit code 1; skip: not applicable here. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** The measured value(s), for --json. */
  data?: Record<string, string | number | boolean | null>;
}

/**
 * Thresholds of the checks. The oldest PostgreSQL the migrations run on is 15 (ON DELETE SET NULL of one
 * column, migration 0003). Partitions: migrate creates 12 months ahead, so fewer than 2 means nothing
 * has run migrate (or the schedule) for ten months; 0 means next month's first log entry fails. The
 * organization totals are refreshed on demand or on a schedule; older than a day, dashboards lag
 * noticeably. A queue whose oldest waiting job is an hour old is not keeping up. The spool must hold at
 * least one upload of the largest accepted size; under 100 MiB not even small uploads fit.
 */
export const DOCTOR_THRESHOLDS = {
  minServerMajor: 15,
  warnPartitionsAhead: 2,
  warnMetricsAgeSeconds: 24 * 3600,
  warnQueueAgeSeconds: 3600,
  failSpoolFreeBytes: 100 * 1024 * 1024,
} as const;

export interface DoctorOptions {
  pool: pg.Pool;
  store: ObjectStore;
  spoolDir: string;
  /** INGEST_MAX_UPLOAD_BYTES: the spool should have room for one such upload. */
  maxUploadBytes: number;
}

/** Runs every check; a check that throws is reported as failed, and the others still run. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const run = async (name: string, check: () => Promise<Omit<DoctorCheck, 'name'>>) => {
    try {
      checks.push({ name, ...(await check()) });
    } catch (err) {
      const error = coerceError(err);
      checks.push({ name, status: 'fail', detail: `${error.code}: ${error.message}` });
    }
  };
  const { pool } = options;
  let databaseUp = false;
  await run('database', async () => {
    const version = await serverVersion(pool);
    databaseUp = true;
    const major = Math.floor(version.num / 10_000);
    return {
      status: major >= DOCTOR_THRESHOLDS.minServerMajor ? 'ok' : 'fail',
      detail: `PostgreSQL ${version.text}${major < DOCTOR_THRESHOLDS.minServerMajor ? ` (ingest needs ${DOCTOR_THRESHOLDS.minServerMajor} or newer)` : ''}`,
      data: { version: version.text, versionNum: version.num },
    };
  });
  if (databaseUp) {
    let migrated = false;
    await run('migrations', async () => {
      const pending = await pendingMigrations(pool);
      migrated = pending.length === 0;
      return migrated
        ? { status: 'ok', detail: 'all applied', data: { pending: 0 } }
        : {
            status: 'fail',
            detail: `${pending.length} pending (${pending.slice(0, 3).join(', ')}${pending.length > 3 ? ', ...' : ''}): run ingest migrate`,
            data: { pending: pending.length },
          };
    });
    await run('activity partitions', async () => {
      const ahead = await activityPartitionsAhead(pool);
      if (!ahead) return { status: 'fail', detail: 'logs.activity_log does not exist: run ingest migrate' };
      const status: CheckStatus =
        ahead.monthsAhead === 0
          ? 'fail'
          : ahead.monthsAhead < DOCTOR_THRESHOLDS.warnPartitionsAhead
            ? 'warn'
            : 'ok';
      return {
        status,
        detail: `${ahead.monthsAhead} months ahead (through ${ahead.lastMonth ?? 'none'})${status === 'ok' ? '' : ': run ingest migrate'}`,
        data: { monthsAhead: ahead.monthsAhead, lastMonth: ahead.lastMonth },
      };
    });
    await run('organization totals', async () => {
      const at = await organizationMetricsRefreshedAt(pool);
      if (!at)
        return {
          status: 'ok',
          detail: 'no organizations yet',
          data: { ageSeconds: null, refreshedAt: null },
        };
      const age = Math.max(0, Math.round((Date.now() - at.getTime()) / 1000));
      const stale = age > DOCTOR_THRESHOLDS.warnMetricsAgeSeconds;
      return {
        status: stale ? 'warn' : 'ok',
        detail: `analytics.organization_metrics refreshed ${formatAge(age)} ago${stale ? ': run ingest metrics --refresh' : ''}`,
        data: { ageSeconds: age, refreshedAt: at.toISOString() },
      };
    });
    await run('job queue', async () => {
      const queues = await queueBacklog(pool);
      if (!queues) return { status: 'skip', detail: 'no job queue schema in this database' };
      const depth = queues.reduce((sum, q) => sum + q.depth, 0);
      const oldest = Math.max(0, ...queues.map((q) => q.oldestAgeSeconds));
      const late = oldest > DOCTOR_THRESHOLDS.warnQueueAgeSeconds;
      return {
        status: late ? 'warn' : 'ok',
        detail: `${depth} waiting${queues.length ? ` (${queues.map((q) => `${q.queue}: ${q.depth}`).join(', ')})` : ''}, oldest ${formatAge(Math.round(oldest))}${late ? ': are workers running?' : ''}`,
        data: { depth, oldestAgeSeconds: oldest, queues: queues.map((q) => q.queue).join(',') },
      };
    });
    await run('abandoned files', async () => {
      const abandoned = await countAbandonedFiles(pool);
      return {
        status: abandoned === 0 ? 'ok' : 'warn',
        detail:
          abandoned === 0
            ? 'none'
            : `${abandoned} files left processing by dead processes: ingest serve removes them every INGEST_RECOVERY_INTERVAL, any ingest command at start`,
        data: { abandoned },
      };
    });
  }
  await run('object store', async () => {
    await probeStore(options.store);
    return { status: 'ok', detail: `${options.store.description}: write, read and delete work` };
  });
  await run('spool disk', async () => {
    const free = await freeBytes(options.spoolDir);
    const status: CheckStatus =
      free < DOCTOR_THRESHOLDS.failSpoolFreeBytes ? 'fail' : free < options.maxUploadBytes ? 'warn' : 'ok';
    return {
      status,
      detail: `${formatBytes(free)} free for ${options.spoolDir}${status === 'ok' ? '' : ` (the largest upload accepted is ${formatBytes(options.maxUploadBytes)})`}`,
      data: { freeBytes: free, maxUploadBytes: options.maxUploadBytes },
    };
  });
  return checks;
}

/** Rows left `processing` whose advisory lock is free: no live ingest holds them (as recovery decides). */
async function countAbandonedFiles(pool: pg.Pool): Promise<number> {
  const files = await listProcessingFiles(pool);
  if (files.length === 0) return 0;
  const client = await pool.connect();
  let abandoned = 0;
  let broken: Error | undefined;
  try {
    for (const file of files) {
      if (await tryLockFile(client, file.organizationId, file.sha256)) {
        abandoned++;
        await unlockFile(client, file.organizationId, file.sha256);
      }
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
  return abandoned;
}

/** Writes, reads back and deletes a small object: reachable, and with the rights ingest needs. */
async function probeStore(store: ObjectStore): Promise<void> {
  // At the top level: a local store would otherwise leave an empty folder behind.
  const key = `doctor-probe-${hostname()}-${process.pid}-${Date.now()}`;
  const body = Buffer.from('ingest doctor probe\n');
  await store.put(key, Readable.from([body]), { size: body.length });
  try {
    const info = await store.head(key);
    if (info?.size !== body.length)
      throw new Error(`the probe object ${key} reads back as ${JSON.stringify(info)}`);
  } finally {
    await store.delete(key);
  }
}

/** Free bytes on the file system of `dir`, or of its nearest existing parent (the spool is made lazily). */
async function freeBytes(dir: string): Promise<number> {
  let path = dir;
  for (;;) {
    try {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    } catch (err) {
      const parent = dirname(path);
      if ((err as { code?: string }).code !== 'ENOENT' || parent === path) throw err;
      path = parent;
    }
  }
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
