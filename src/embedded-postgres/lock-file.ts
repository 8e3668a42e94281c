import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError } from '../errors.js';
import { isPidAlive } from '../pid-alive.js';

// Starting a server that needs initdb takes a few seconds; a holder that has not finished in two
// minutes is stuck, and the waiter says so instead of hanging forever.
const DEFAULT_WAIT_MS = 120_000;
// A lock file with no readable pid yet is being written; only after this long is it treated as stale.
const UNWRITTEN_LOCK_GRACE_MS = 10_000;

/**
 * Runs `fn` while holding an exclusive lock file (created with O_EXCL, holding "<pid> <token>"). A lock
 * whose pid is dead is stale and is broken by renaming it away (rename is atomic, so only one waiter
 * wins). The token makes unlock remove only our own lock. Works across processes on one machine; not
 * across machines sharing a network file system.
 */
export async function withLockFile<T>(
  path: string,
  fn: () => Promise<T>,
  waitMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
  await acquire(path, token, waitMs);
  try {
    return await fn();
  } finally {
    await releaseLock(path, token);
  }
}

async function acquire(path: string, token: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  let delay = 25;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${token}\n`);
      } finally {
        await handle.close();
      }
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await breakIfStale(path)) continue;
    if (Date.now() > deadline) {
      const holder = await readFile(path, 'utf8').catch(() => '');
      throw new IngestError(
        'DATABASE_UNAVAILABLE',
        `timed out waiting for ${path} (held by pid ${holder.split(' ')[0] || 'unknown'}); if no ingest process is running, delete that file`,
      );
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 250);
  }
}

/** Removes the lock when its holder is gone. True when the caller should try to acquire again. */
async function breakIfStale(path: string): Promise<boolean> {
  let content: string;
  let mtimeMs: number;
  try {
    [content, { mtimeMs }] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
  } catch {
    return true; // released meanwhile
  }
  const pid = Number.parseInt(content.split(' ')[0] ?? '', 10);
  const stale = Number.isInteger(pid) ? !isPidAlive(pid) : Date.now() - mtimeMs > UNWRITTEN_LOCK_GRACE_MS;
  if (!stale) return false;
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return true; // another waiter broke it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => content);
  if (moved !== content) {
    // Between our read and our rename the stale lock was broken and a live holder took the lock: put it
    // back. link() fails if yet another process has created one meanwhile; then both proceed, which this
    // scheme (like any lock file without kernel support) cannot rule out in that triple race.
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  return true;
}

async function releaseLock(path: string, token: string): Promise<void> {
  const content = await readFile(path, 'utf8').catch(() => '');
  if (content.trim() === token) await unlink(path).catch(() => undefined);
}
