import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isPidAlive } from '../pid-alive.js';

/**
 * Names of spool files, which say which process wrote them, so a sweep can tell an orphan (its writer
 * died: kill -9, power loss) from a live upload of another process sharing INGEST_HOME:
 *
 *   <host>.<pid>.<process token>.<uuid>.upload
 *
 * Why the pid with a liveness check, not a lock: Node has no flock(), and an advisory lock in
 * PostgreSQL dies with its connection, not with its process (a network blip would let a sibling delete
 * a live upload). The spool is local to INGEST_HOME, which is per machine, as the embedded database's
 * lock file (src/embedded-postgres/lock-file.ts) assumes too. The host guards against pid namespaces:
 * containers sharing one volume see each other's files but not each other's pids, so only files of
 * this host are ever judged. The token tells this process's files from those of a dead predecessor
 * that had the same pid (a container's server is often pid 1 after every restart). A reused pid only
 * keeps an orphan longer, never deletes a live file.
 */
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_') || 'host';
const PROCESS_TOKEN = randomBytes(6).toString('hex');
const NAME = /^([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-f]{12})\.[0-9a-f-]{36}\.upload$/;

/** A new spool file name owned by this process. */
export function spoolFileName(): string {
  return `${HOST}.${process.pid}.${PROCESS_TOKEN}.${randomUUID()}.upload`;
}

/**
 * Whether the process that wrote this spool file is gone: `orphan` (safe to delete), `live` (this
 * process's, or a live process's on this host), or `unknown` (another host's, or not a spool file name
 * of this version: never deleted).
 */
export function spoolFileOwner(name: string): 'orphan' | 'live' | 'unknown' {
  const match = NAME.exec(name);
  if (!match || match[1] !== HOST) return 'unknown';
  const pid = Number(match[2]);
  if (pid === process.pid) return match[3] === PROCESS_TOKEN ? 'live' : 'orphan';
  return isPidAlive(pid) ? 'live' : 'orphan';
}
