import type pg from 'pg';
import type { Config } from '../config.js';
import { createPool, flushStatementTimings, migrate } from '../db/index.js';
import { type DatabaseHandle, openDatabase } from '../embedded-postgres/index.js';
import { type Logger, logger as rootLogger } from '../logger.js';
import { createObjectStore } from '../storage/index.js';
import { type ChunkPool, createChunkPool, defaultThreads } from '../workers/index.js';
import { recoverAbandonedFiles } from './recover-abandoned.js';
import { sweepOrphanedSpoolFiles } from './recover-spool.js';
import { abortAbandonedUploads } from './recover-uploads.js';
import type { IngestServices } from './types.js';

export interface Services extends IngestServices {
  /** The configuration the services were opened with. */
  config: Config;
  database: DatabaseHandle;
  /** Stops workers, closes the pool, and stops a transient embedded database. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens everything an ingest process needs: the database (embedded unless DATABASE_URL is set) with
 * migrations applied, the object store, and a worker pool started on first use. Also removes files
 * abandoned by dead processes, aborts the multipart uploads they left behind, and deletes the spool
 * files of dead processes on this host (`ingest serve` repeats this every INGEST_RECOVERY_INTERVAL).
 */
export async function openServices(
  config: Config,
  options: { threads?: number; log?: Logger } = {},
): Promise<Services> {
  const log = options.log ?? rootLogger;
  const database = await openDatabase({
    home: config.home,
    log,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
  });
  let pool: pg.Pool | undefined;
  try {
    pool = createPool(database.connectionString, { slowStatementMs: config.slowStatementMs });
    await migrate(pool);
    const store = await createObjectStore(config);
    await recoverAbandonedFiles(pool, store, log);
    // Best effort: a store that cannot list unfinished uploads must not stop the process from starting.
    await abortAbandonedUploads(pool, store, log).catch((err) =>
      log.warn({ err }, 'could not look for abandoned multipart uploads'),
    );
    await sweepOrphanedSpoolFiles(config.spoolDir, log).catch((err) =>
      log.warn({ err }, 'could not look for spool files left by dead processes'),
    );
    const workers = lazyChunkPool(options.threads ?? defaultThreads());
    let closed = false;
    const openPool = pool;
    return {
      config,
      database,
      pool: openPool,
      store,
      workers,
      spoolDir: config.spoolDir,
      log,
      limits: config.contentLimits,
      async close() {
        if (closed) return;
        closed = true;
        await workers.close();
        await flushStatementTimings(openPool);
        await openPool.end();
        await database.release();
      },
    };
  } catch (err) {
    await pool?.end().catch(() => undefined);
    await database.release().catch(() => undefined);
    throw err;
  }
}

/** Commands that never ingest (files, metrics, export) do not pay for starting threads. */
function lazyChunkPool(threads: number): ChunkPool {
  let pool: ChunkPool | undefined;
  return {
    threads,
    run(task) {
      pool ??= createChunkPool({ threads });
      return pool.run(task);
    },
    sniff(task) {
      pool ??= createChunkPool({ threads });
      return pool.sniff(task);
    },
    async close() {
      await pool?.close();
    },
  };
}
