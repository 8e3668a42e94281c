import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import { spoolFileOwner } from './spool-file.js';

/**
 * Deletes the spool files whose writing process is gone (spool-file.ts says how that is known without
 * ever judging a live process's file dead). A killed ingest leaves its whole upload there; nothing else
 * would remove it. Files of other hosts and of older versions (no owner in the name) are left and
 * counted in the log. Returns how many files were deleted.
 */
export async function sweepOrphanedSpoolFiles(spoolDir: string, log: Logger): Promise<number> {
  let names: string[];
  try {
    names = await readdir(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let swept = 0;
  let unknown = 0;
  for (const name of names) {
    const owner = spoolFileOwner(name);
    if (owner === 'unknown' && name.endsWith('.upload')) unknown++;
    if (owner !== 'orphan') continue;
    await rm(join(spoolDir, name), { force: true });
    swept++;
  }
  if (swept) log.warn({ swept, spoolDir }, 'removed spool files left by dead processes');
  if (unknown) {
    log.info(
      { files: unknown, spoolDir },
      'spool files of another host or an older version were left alone; remove them when no ingest runs',
    );
  }
  return swept;
}
