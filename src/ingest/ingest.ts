import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  ChunkWriter,
  claimFile,
  deleteFileRow,
  ensureAudit,
  enterTenant,
  type FileRecord,
  findFileBySha,
  insertMetricRows,
  insertRejectedRows,
  logActivity,
  markFileReady,
  reserveStorage,
  tryLockFile,
  unlockFile,
  withTenant,
} from '../db/index.js';
import { coerceError, IngestError, isIngestError } from '../errors.js';
import { metricRows, summarize } from '../metrics/index.js';
import { originalObjectKey } from '../storage/index.js';
import { fileActivity } from './file-activity.js';
import { type ChunkSettings, processChunks } from './process-chunks.js';
import { type ReceivedUpload, receiveUpload } from './receive-upload.js';
import type { IngestOptions, IngestResult, IngestServices, IngestSource } from './types.js';
import { validateIngestOptions } from './validate-options.js';

const PROCESS_ID = `${hostname()}:${process.pid}`;

/**
 * Ingests one upload for one organization: the pipeline as one call, used by the CLI and the server.
 *
 * receive + SHA-256 -> lock (organization, sha256) -> duplicate? return it -> claim the file row ->
 * one transaction: chunks (COPY), rejected rows, metrics, file ready, activity log -> commit, with
 * the original stored in the object store before the commit. Any failure rolls the transaction back,
 * removes the file row and the object this attempt stored, and rethrows a coded IngestError.
 */
export async function ingest(
  services: IngestServices,
  source: IngestSource,
  options: IngestOptions,
): Promise<IngestResult> {
  const started = performance.now();
  const settings = validateIngestOptions(options);
  const org = options.organization;
  const upload = await receiveUpload(source, services.spoolDir, options);
  const log = services.log.child({ organizationId: org.id, sha256: upload.sha256 });
  let release: (() => void) | undefined;
  try {
    release = await services.admission?.acquire(options.signal).catch((err: unknown) => {
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`, {}, { cause: err });
    });
    return await ingestReceived(services, upload, options, settings, started, log);
  } finally {
    release?.();
    await upload.cleanup();
  }
}

async function ingestReceived(
  services: IngestServices,
  upload: ReceivedUpload,
  options: IngestOptions,
  settings: ChunkSettings,
  started: number,
  log: IngestServices['log'],
): Promise<IngestResult> {
  const org = options.organization;
  if (upload.bytes === 0) {
    throw new IngestError('EMPTY_FILE', `${upload.filename} is empty`, {
      file: upload.filename,
      organization: org.slug,
    });
  }
  const client = await lockUpload(services.pool, upload, options);
  let broken: Error | undefined;
  try {
    const existing = await withTenant(services.pool, org.id, (db) =>
      findFileBySha(db, org.id, upload.sha256),
    );
    if (existing?.status === 'ready') {
      await withTenant(services.pool, org.id, (db) =>
        logActivity(
          db,
          fileActivity(options.organization.id, options.actor, 'file.ingest_duplicate', existing.id, {
            filename: upload.filename,
            bytes: upload.bytes,
          }),
        ),
      );
      return duplicateResult(existing, options, started);
    }

    const objectKey = originalObjectKey(org.id, upload.sha256);
    const fileId = await withTenant(services.pool, org.id, async (db) => {
      await reserveStorage(db, org.id, upload.bytes);
      const auditId = options.audit ? await ensureAudit(db, org.id, options.audit) : null;
      return claimFile(db, {
        organizationId: org.id,
        sha256: upload.sha256,
        sizeBytes: upload.bytes,
        filename: upload.filename,
        objectKey,
        auditId,
        processedBy: PROCESS_ID,
      });
    });
    if (!fileId) throw new IngestError('INTERNAL', 'file row became ready while its lock was held');
    const fileLog = log.child({ fileId, stage: 'process' });
    fileLog.info({ bytes: upload.bytes }, 'ingest started');

    let storedObject = false;
    const storeOriginal = (async () => {
      const head = await services.store.head(objectKey);
      if (head?.size === upload.bytes) return;
      storedObject = true;
      await services.store.put(objectKey, createReadStream(upload.path), {
        size: upload.bytes,
        sha256: upload.sha256,
      });
    })();
    storeOriginal.catch(() => undefined);

    try {
      const result = await runTransaction(
        client,
        services,
        upload,
        options,
        settings,
        fileId,
        storeOriginal,
        started,
      );
      fileLog.info({ rows: result.rows, chunks: result.chunks, seconds: result.seconds }, 'ingest finished');
      return result;
    } catch (err) {
      const error = cancelledOrCoerced(err, options, { file: upload.filename, organization: org.slug });
      if (error.code === 'DATABASE_UNAVAILABLE') broken = error;
      fileLog.warn({ err: error, code: error.code, line: error.context.line }, 'ingest failed');
      await storeOriginal.catch(() => undefined);
      await discardAttempt(services, upload, options, fileId, storedObject ? objectKey : null, error).catch(
        (cleanupErr) =>
          // The row stays `processing` with no lock holder: the next start's recovery removes it.
          fileLog.error({ err: cleanupErr }, 'cleanup after a failed ingest failed; recovery will finish it'),
      );
      throw error;
    }
  } finally {
    if (!broken) await unlockFile(client, org.id, upload.sha256).catch((err) => (broken = err as Error));
    client.release(broken);
  }
}

/** The chunk, metrics and status writes of one file, all or nothing. */
async function runTransaction(
  client: pg.PoolClient,
  services: IngestServices,
  upload: ReceivedUpload,
  options: IngestOptions,
  settings: ChunkSettings,
  fileId: string,
  storeOriginal: Promise<void>,
  started: number,
): Promise<IngestResult> {
  const org = options.organization;
  // Wall-clock marks of each phase, logged at debug level: where an ingest spends its time.
  const phases: Record<string, number> = { begin: performance.now() };
  await client.query('BEGIN');
  try {
    await enterTenant(client, org.id);
    const writer = await ChunkWriter.open(client, { organizationId: org.id, fileId });
    let processed: Awaited<ReturnType<typeof processChunks>>;
    try {
      processed = await processChunks(upload, services.workers, writer, settings, options);
      phases.chunks = performance.now();
      await writer.finish();
      phases.moved = performance.now();
    } catch (err) {
      await writer.abort(err as Error);
      throw err;
    }
    const { header, dialect } = processed.source;
    const summaries = summarize(processed.stats, header.names);
    const durationMs = performance.now() - started;
    await insertRejectedRows(client, org.id, fileId, processed.rejected);
    const auditId = (
      await client.query<{ audit_id: string | null }>(
        'SELECT audit_id FROM storage_meta.files WHERE id = $1',
        [fileId],
      )
    ).rows[0]!.audit_id;
    await insertMetricRows(
      client,
      { organizationId: org.id, fileId, auditId },
      metricRows(
        {
          rows: processed.rows,
          columns: header.names.length,
          bytes: upload.bytes,
          storedBytes: processed.storedBytes,
          chunks: processed.chunks,
          rejectedRows: processed.rejectedCount,
          durationMs,
        },
        summaries,
      ),
    );
    await markFileReady(client, org.id, fileId, {
      dialect,
      headerRaw: header.raw,
      columns: summaries.map((c, i) => ({
        name: c.name,
        originalName: header.originalNames[i] ?? c.name,
        type: c.type,
      })),
      rowCount: processed.rows,
      chunkCount: processed.chunks,
      storedBytes: processed.storedBytes,
      rejectedRowCount: processed.rejectedCount,
      durationMs,
    });
    await logActivity(
      client,
      fileActivity(options.organization.id, options.actor, 'file.ingest', fileId, {
        filename: upload.filename,
        bytes: upload.bytes,
        rows: processed.rows,
        rejectedRows: processed.rejectedCount,
      }),
    );
    // The file is ready only once its original is durable.
    phases.metrics = performance.now();
    await storeOriginal;
    phases.original = performance.now();
    if (options.signal?.aborted)
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`);
    await client.query('COMMIT');
    phases.commit = performance.now();
    services.log.debug({ fileId, phasesMs: phaseDurations(started, phases) }, 'ingest phases');
    return {
      fileId,
      organization: org.slug,
      filename: upload.filename,
      sha256: upload.sha256,
      duplicate: false,
      bytes: upload.bytes,
      rows: processed.rows,
      columns: header.names.length,
      chunks: processed.chunks,
      storedBytes: processed.storedBytes,
      rejectedRows: processed.rejectedCount,
      seconds: round3((performance.now() - started) / 1000),
      encoding: dialect.encoding,
      delimiter: dialect.delimiter,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Takes the (organization, sha256) advisory lock on a dedicated connection. While another ingest of the
 * same bytes holds it, polls (releasing the connection between tries) and returns early if that ingest
 * made the file ready. Concurrent duplicates therefore do the work once.
 */
async function lockUpload(
  pool: pg.Pool,
  upload: ReceivedUpload,
  options: IngestOptions,
): Promise<pg.PoolClient> {
  const org = options.organization;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      if (await tryLockFile(client, org.id, upload.sha256)) return client;
    } catch (err) {
      client.release(err as Error);
      throw coerceError(err, { file: upload.filename, organization: org.slug });
    }
    client.release();
    if (options.signal?.aborted)
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`);
    // Capped, jittered backoff: 20 ms doubling to 500 ms.
    await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
}

async function discardAttempt(
  services: IngestServices,
  upload: ReceivedUpload,
  options: IngestOptions,
  fileId: string,
  objectKey: string | null,
  error: IngestError,
): Promise<void> {
  const org = options.organization;
  await withTenant(services.pool, org.id, async (db) => {
    await deleteFileRow(db, org.id, fileId);
    await logActivity(
      db,
      fileActivity(options.organization.id, options.actor, 'file.ingest_failed', fileId, {
        filename: upload.filename,
        code: error.code,
        line: error.context.line ?? null,
      }),
    );
  });
  if (objectKey) await services.store.delete(objectKey);
}

/**
 * An abort surfaces from whichever stream or query noticed it first, often as a bare AbortError: once the
 * signal fired, anything but a coded input error is reported as CANCELLED.
 */
function cancelledOrCoerced(
  err: unknown,
  options: IngestOptions,
  context: { file: string; organization: string },
): IngestError {
  const error = coerceError(err, context);
  if (!options.signal?.aborted || (isIngestError(err) && error.code !== 'INTERNAL')) return error;
  return new IngestError('CANCELLED', `ingest of ${context.file} was cancelled`, context, { cause: err });
}

function duplicateResult(file: FileRecord, options: IngestOptions, started: number): IngestResult {
  return {
    fileId: file.id,
    organization: options.organization.slug,
    filename: file.filename,
    sha256: file.sha256,
    duplicate: true,
    bytes: file.sizeBytes,
    rows: file.rowCount ?? 0,
    columns: file.columns?.length ?? 0,
    chunks: file.chunkCount ?? 0,
    storedBytes: file.storedBytes ?? 0,
    rejectedRows: file.rejectedRowCount ?? 0,
    seconds: round3((performance.now() - started) / 1000),
    encoding: file.dialect?.encoding ?? 'utf-8',
    delimiter: file.dialect?.delimiter ?? ',',
  };
}

function phaseDurations(started: number, marks: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let previous = started;
  for (const [name, at] of Object.entries(marks)) {
    out[name] = Math.round(at - previous);
    previous = at;
  }
  return out;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
