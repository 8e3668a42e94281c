import { createReadStream } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  attachFileToAudit,
  ChunkWriter,
  chargeStorage,
  claimFile,
  deleteFileRow,
  ensureAudit,
  type FileRecord,
  findFileBySha,
  insertMetricRows,
  insertRejectedRows,
  inTenantTransactionUncoerced,
  logActivity,
  markFileReady,
  reserveStorage,
  tryLockFile,
  unlockFile,
  withTenant,
} from '../db/index.js';
import { coerceError, IngestError, isIngestError } from '../errors.js';
import { defaultContentLimits } from '../limits.js';
import { metricRows, summarizeInSteps } from '../metrics/index.js';
import { originalObjectKey } from '../storage/index.js';
import { measureIngest } from '../telemetry/index.js';
import { fileActivity } from './file-activity.js';
import type { ClaimedAttempt, IngestAttempt, OriginalUpload } from './ingest-attempt.js';
import { PhaseTimer } from './phase-timer.js';
import { type ProcessedChunks, processChunks } from './process-chunks.js';
import { receiveUpload } from './receive-upload.js';
import { metricRowsBytes, rejectedRowsBytes } from './stored-bytes.js';
import type { IngestOptions, IngestResult, IngestServices, IngestSource } from './types.js';
import { validateIngestOptions } from './validate-options.js';

const PROCESS_ID = `${hostname()}:${process.pid}`;

/** Metric rows per INSERT: a few milliseconds of parameter serialization each (see recordReadyFile). */
const METRIC_INSERT_BATCH = 2000;

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
  // Counted at GET /metrics: outcome, bytes, rows, duration, or the failure's code.
  return measureIngest(() => ingestMeasured(services, source, options));
}

async function ingestMeasured(
  services: IngestServices,
  source: IngestSource,
  options: IngestOptions,
): Promise<IngestResult> {
  const timer = new PhaseTimer();
  const settings = validateIngestOptions(options);
  const organization = options.organization;
  const upload = await receiveUpload(source, services.spoolDir, options);
  const log = services.log.child({ organizationId: organization.id, sha256: upload.sha256 });
  const attempt: IngestAttempt = { services, options, organization, upload, settings, timer, log };
  let release: (() => void) | undefined;
  try {
    release = await services.admission?.acquire(options.signal).catch((err: unknown) => {
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`, {}, { cause: err });
    });
    return await ingestReceived(attempt);
  } finally {
    release?.();
    await upload.cleanup();
  }
}

/** The steps after the bytes are received, under the upload's advisory lock on a held connection. */
async function ingestReceived(attempt: IngestAttempt): Promise<IngestResult> {
  const { organization, upload } = attempt;
  if (upload.bytes === 0) {
    throw new IngestError('EMPTY_FILE', `${upload.filename} is empty`, {
      file: upload.filename,
      organization: organization.slug,
    });
  }
  const client = await lockUpload(attempt);
  let broken: Error | undefined;
  try {
    const duplicate = await findReadyDuplicate(attempt);
    if (duplicate)
      return { ...duplicateResult(attempt, duplicate), ...(await linkDuplicate(attempt, duplicate)) };

    const file = await claimFileRow(attempt);
    const log = attempt.log.child({ fileId: file.id, stage: 'process' });
    log.info({ bytes: upload.bytes }, 'ingest started');
    const claimed: ClaimedAttempt = {
      ...attempt,
      file,
      log,
      original: storeOriginal(attempt, file.objectKey),
    };
    try {
      const result = await runTransaction(claimed, client);
      log.info({ rows: result.rows, chunks: result.chunks, seconds: result.seconds }, 'ingest finished');
      return result;
    } catch (err) {
      const error = cancelledOrCoerced(err, attempt);
      // A dead connection goes back to the pool discarded, without trying to unlock on it.
      if (error.code === 'DATABASE_UNAVAILABLE') broken = error;
      await abandonAttempt(claimed, error);
      throw error;
    }
  } finally {
    if (!broken)
      await unlockFile(client, organization.id, upload.sha256).catch((err) => (broken = err as Error));
    client.release(broken);
  }
}

/**
 * Takes the (organization, sha256) advisory lock on a dedicated connection. While another ingest of the
 * same bytes holds it, polls (releasing the connection between tries) and returns early if that ingest
 * made the file ready. Concurrent duplicates therefore do the work once.
 */
async function lockUpload({
  services,
  organization,
  upload,
  options,
}: IngestAttempt): Promise<pg.PoolClient> {
  for (let attempt = 0; ; attempt++) {
    const client = await services.pool.connect();
    try {
      if (await tryLockFile(client, organization.id, upload.sha256)) return client;
    } catch (err) {
      client.release(err as Error);
      throw coerceError(err, { file: upload.filename, organization: organization.slug });
    }
    client.release();
    if (options.signal?.aborted)
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`);
    // Capped, jittered backoff: 20 ms doubling to 500 ms.
    await sleep(Math.min(500, 20 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random()));
  }
}

/** The ready file with the same bytes, if there is one: the upload is then a duplicate, logged as such. */
async function findReadyDuplicate(attempt: IngestAttempt): Promise<FileRecord | null> {
  const { services, organization, upload, options } = attempt;
  const existing = await withTenant(services.pool, organization.id, (db) =>
    findFileBySha(db, organization.id, upload.sha256),
  );
  if (existing?.status !== 'ready') return null;
  await withTenant(services.pool, organization.id, (db) =>
    logActivity(
      db,
      fileActivity(organization.id, options.actor, 'file.ingest_duplicate', existing.id, {
        filename: upload.filename,
        bytes: upload.bytes,
      }),
    ),
  );
  return existing;
}

/**
 * A duplicate uploaded to an audit joins that audit (created on first use) if it is not in it yet: the
 * stored file is shared, and the answer says whether this upload linked it.
 */
async function linkDuplicate(attempt: IngestAttempt, file: FileRecord): Promise<Pick<IngestResult, 'audit'>> {
  const { services, organization, options } = attempt;
  const name = options.audit;
  if (!name) return {};
  return withTenant(services.pool, organization.id, async (db) => {
    const auditId = await ensureAudit(db, organization.id, name);
    const linked = await attachFileToAudit(
      db,
      organization.id,
      auditId,
      file.id,
      options.actor?.name ?? 'library',
    );
    if (linked) {
      await logActivity(db, {
        ...fileActivity(organization.id, options.actor, 'audit.file_attach', file.id, { duplicate: true }),
        targetType: 'audit',
        targetId: auditId,
        details: { fileId: file.id, duplicate: true },
      });
    }
    return { audit: { id: auditId, name, linked } };
  });
}

/** Reserves the upload's storage and takes its file row, filed under the named audit if any. */
async function claimFileRow(attempt: IngestAttempt): Promise<ClaimedAttempt['file']> {
  const { services, organization, upload, options } = attempt;
  const objectKey = originalObjectKey(organization.id, upload.sha256);
  const file = await withTenant(services.pool, organization.id, async (db) => {
    await reserveStorage(db, organization.id, upload.bytes);
    const auditId = options.audit ? await ensureAudit(db, organization.id, options.audit) : null;
    return claimFile(db, {
      organizationId: organization.id,
      sha256: upload.sha256,
      sizeBytes: upload.bytes,
      filename: upload.filename,
      objectKey,
      auditId,
      processedBy: PROCESS_ID,
    });
  });
  if (!file) throw new IngestError('INTERNAL', 'file row became ready while its lock was held');
  return { ...file, objectKey };
}

/** Starts storing the original under `objectKey`, unless an object of its size is already there. */
function storeOriginal({ services, upload }: IngestAttempt, objectKey: string): OriginalUpload {
  const original: OriginalUpload = { done: Promise.resolve(), wrote: false };
  original.done = (async () => {
    const head = await services.store.head(objectKey);
    if (head?.size === upload.bytes) return;
    original.wrote = true;
    await services.store.put(objectKey, createReadStream(upload.path), {
      size: upload.bytes,
      sha256: upload.sha256,
    });
  })();
  original.done.catch(() => undefined);
  return original;
}

/** The chunk, metrics and status writes of one file, all or nothing. */
async function runTransaction(attempt: ClaimedAttempt, client: pg.PoolClient): Promise<IngestResult> {
  const { services, organization, options, upload, file, timer } = attempt;
  timer.mark('begin');
  const processed = await inTenantTransactionUncoerced(client, organization.id, async () => {
    const processed = await writeChunks(attempt, client);
    const rowBytes = await timer.phase('metrics', () => recordReadyFile(attempt, client, processed));
    // The file is ready only once its original is durable.
    await timer.phase('original', () => attempt.original.done);
    if (options.signal?.aborted)
      throw new IngestError('CANCELLED', `ingest of ${upload.filename} was cancelled`);
    // Last before commit: the quota check holds the organization's lock until then.
    await timer.phase('quota', () =>
      chargeStorage(client, organization.id, file.id, upload.bytes + processed.storedBytes + rowBytes),
    );
    return processed;
  });
  timer.mark('commit');
  services.log.debug({ fileId: file.id, phasesMs: timer.phasesMs() }, 'ingest phases');
  return ingestedResult(attempt, processed);
}

/** Chunks the upload through the workers into the file's chunk rows; the writer is aborted on failure. */
async function writeChunks(attempt: ClaimedAttempt, client: pg.PoolClient): Promise<ProcessedChunks> {
  const { services, organization, upload, settings, options, file, timer } = attempt;
  const writer = await ChunkWriter.open(client, { organizationId: organization.id, fileId: file.id });
  try {
    const processed = await timer.phase('chunks', () =>
      processChunks(
        upload,
        services.workers,
        writer,
        settings,
        options,
        services.limits ?? defaultContentLimits(),
      ),
    );
    await timer.phase('moved', () => writer.finish());
    return processed;
  } catch (err) {
    await writer.abort(err as Error);
    throw err;
  }
}

/**
 * Rejected rows, metric rows, the file's ready state and the activity-log entry of a processed file.
 * Returns the estimated bytes of the rejected and metric rows written (stored-bytes.ts), for the quota.
 */
async function recordReadyFile(
  attempt: ClaimedAttempt,
  client: pg.PoolClient,
  processed: ProcessedChunks,
): Promise<number> {
  const { organization, options, upload, file, timer } = attempt;
  const { header } = processed.source;
  const dialect = storedDialect(processed);
  const summaries = await summarizeInSteps(processed.stats, header.names);
  const durationMs = timer.elapsedMs();
  await insertRejectedRows(client, organization.id, file.id, processed.rejected);
  const rows = metricRows(
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
  );
  // In batches: serializing a statement's parameters is synchronous, and 18,000 rows at once held the
  // event loop for over 100 ms.
  for (let from = 0; from < rows.length; from += METRIC_INSERT_BATCH) {
    await insertMetricRows(
      client,
      { organizationId: organization.id, fileId: file.id, auditId: file.auditId },
      rows.slice(from, from + METRIC_INSERT_BATCH),
    );
  }
  await markFileReady(client, organization.id, file.id, {
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
  if (file.auditId) {
    await attachFileToAudit(client, organization.id, file.auditId, file.id, options.actor?.name ?? 'library');
  }
  await logActivity(
    client,
    fileActivity(organization.id, options.actor, 'file.ingest', file.id, {
      filename: upload.filename,
      bytes: upload.bytes,
      rows: processed.rows,
      rejectedRows: processed.rejectedCount,
    }),
  );
  return metricRowsBytes(rows) + rejectedRowsBytes(processed.rejected);
}

/**
 * Cleans up after a failed attempt once the original's upload has settled. A failing clean-up is only
 * logged: the row stays `processing` with no lock holder, and the next start's recovery removes it.
 */
async function abandonAttempt(attempt: ClaimedAttempt, error: IngestError): Promise<void> {
  const { log, original } = attempt;
  log.warn({ err: error, code: error.code, line: error.context.line }, 'ingest failed');
  await original.done.catch(() => undefined);
  await discardAttempt(attempt, error).catch((cleanupErr) =>
    log.error({ err: cleanupErr }, 'cleanup after a failed ingest failed; recovery will finish it'),
  );
}

/** Removes the failed attempt's file row (logging the failure) and the object it stored. */
async function discardAttempt(attempt: ClaimedAttempt, error: IngestError): Promise<void> {
  const { services, organization, options, upload, file, original } = attempt;
  await withTenant(services.pool, organization.id, async (db) => {
    await deleteFileRow(db, organization.id, file.id);
    await logActivity(
      db,
      fileActivity(organization.id, options.actor, 'file.ingest_failed', file.id, {
        filename: upload.filename,
        code: error.code,
        line: error.context.line ?? null,
      }),
    );
  });
  if (original.wrote) await services.store.delete(file.objectKey);
}

/**
 * An abort surfaces from whichever stream or query noticed it first, often as a bare AbortError: once the
 * signal fired, anything but a coded input error is reported as CANCELLED.
 */
function cancelledOrCoerced(err: unknown, { options, organization, upload }: IngestAttempt): IngestError {
  const context = { file: upload.filename, organization: organization.slug };
  const error = coerceError(err, context);
  if (!options.signal?.aborted || (isIngestError(err) && error.code !== 'INTERNAL')) return error;
  return new IngestError('CANCELLED', `ingest of ${context.file} was cancelled`, context, { cause: err });
}

/** The dialect as the file row stores it: what was sniffed or given, and how sure the sniffer was. */
function storedDialect(processed: ProcessedChunks) {
  return { ...processed.source.dialect, confidence: processed.source.confidence };
}

function ingestedResult(attempt: ClaimedAttempt, processed: ProcessedChunks): IngestResult {
  const { organization, upload, file, timer, options } = attempt;
  const { header } = processed.source;
  const dialect = storedDialect(processed);
  return {
    fileId: file.id,
    organization: organization.slug,
    filename: upload.filename,
    sha256: upload.sha256,
    duplicate: false,
    bytes: upload.bytes,
    rows: processed.rows,
    columns: header.names.length,
    chunks: processed.chunks,
    storedBytes: processed.storedBytes,
    rejectedRows: processed.rejectedCount,
    repairedRows: processed.repairedCount,
    seconds: round3(timer.elapsedMs() / 1000),
    encoding: dialect.encoding,
    delimiter: dialect.delimiter,
    dialect,
    confidence: dialect.confidence,
    ...(file.auditId && options.audit && { audit: { id: file.auditId, name: options.audit, linked: true } }),
  };
}

function duplicateResult({ organization, timer }: IngestAttempt, file: FileRecord): IngestResult {
  return {
    fileId: file.id,
    organization: organization.slug,
    filename: file.filename,
    sha256: file.sha256,
    duplicate: true,
    bytes: file.sizeBytes,
    rows: file.rowCount ?? 0,
    columns: file.columns?.length ?? 0,
    chunks: file.chunkCount ?? 0,
    storedBytes: file.storedBytes ?? 0,
    rejectedRows: file.rejectedRowCount ?? 0,
    repairedRows: 0,
    seconds: round3(timer.elapsedMs() / 1000),
    encoding: file.dialect?.encoding ?? 'utf-8',
    delimiter: file.dialect?.delimiter ?? ',',
    dialect: file.dialect,
    confidence: file.dialect?.confidence ?? null,
  };
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;
