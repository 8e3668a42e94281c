import type { Logger } from '../logger.js';
import { recoverAbandonedFiles } from './recover-abandoned.js';
import { sweepOrphanedSpoolFiles } from './recover-spool.js';
import { abortAbandonedUploads } from './recover-uploads.js';
import type { IngestServices } from './types.js';

/** A running periodic recovery. */
export interface PeriodicRecovery {
  /** Runs one pass now (after the one running, if any); resolves when it is done. */
  runNow(): Promise<void>;
  /** Stops the timer and waits for a pass in progress, so the pool can be closed after it. */
  stop(): Promise<void>;
}

/**
 * Every `intervalMs`, what start-up recovery does, while a server runs: removes files left `processing`
 * by dead processes (they hold their organization's quota until then), aborts the multipart uploads they
 * left, and deletes spool files of dead processes on this host. Safe with several servers at once: a
 * file or upload is touched only when its advisory lock can be taken (a live ingest holds it), and a
 * spool file only when its writer's pid is gone. Passes never overlap; a failing pass is logged, and
 * the next one tries again.
 */
export function recoverPeriodically(
  services: IngestServices,
  intervalMs: number,
  log: Logger,
): PeriodicRecovery {
  const recoveryLog = log.child({ stage: 'recovery' });
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = async () => {
    try {
      await recoverAbandonedFiles(services.pool, services.store, recoveryLog);
      await abortAbandonedUploads(services.pool, services.store, recoveryLog);
      await sweepOrphanedSpoolFiles(services.spoolDir, recoveryLog);
    } catch (err) {
      recoveryLog.error({ err }, 'periodic recovery failed; it runs again at the next interval');
    }
  };
  const runNow = () => {
    running = running.then(() => (stopped ? undefined : pass()));
    return running;
  };
  const timer = setInterval(() => void runNow(), intervalMs);
  timer.unref();
  return {
    runNow,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
