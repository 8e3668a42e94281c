/**
 * Everything the embedded server needs only because ingest may run as root (CI, containers, a root shell).
 *
 * PostgreSQL refuses to run as root, so then initdb, pg_ctl and postgres run as an unprivileged account,
 * the "runtime user", which must be able to do what the current user could do unaided:
 * - exist: the `postgres` system account, created when absent (resolveRuntimeUser); a cluster first made
 *   by another account keeps running as that account (dataOwner);
 * - own what it reads and writes: the data folder, the server log, initdb's password file and the config
 *   file ingest writes (giveToRuntimeUser, giveFolderToRuntimeUser);
 * - reach its data folder: when it cannot traverse to the home (e.g. /root/.ingest, as /root is mode 700),
 *   the cluster goes to /var/lib/ingest/<hash>/pg and `<home>/pg` links to it (placeOutsideHome);
 * - execute the binaries: ones it cannot reach (a clone under /root) are copied to /var/lib/ingest
 *   (runtimeUserCan, binariesCopyRoot).
 * For any other user the runtime user is the current one: every function here then returns the plain
 * answer or does nothing, so the rest of src/embedded-postgres/ reads as the non-root path that calls in
 * here at these named points.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { commandOutput, type RunAs, runCommand } from './process.js';

/** The account PostgreSQL runs as. `runAs` is empty when that is the current (non-root) user. */
export interface RuntimeUser {
  name: string;
  uid: number;
  gid: number;
  runAs: RunAs;
  /** True when the current process is root and PostgreSQL runs as another account. */
  switched: boolean;
}

// PostgreSQL refuses to run as root; this is the account the package's createPostgresUser option makes.
const RUNTIME_USER_NAME = 'postgres';

// Root-owned and world-traversable, so the postgres account can reach its own folders inside even when
// the home (default /root/.ingest) is not reachable for it. /root's own permissions are never changed.
const ROOT_RUNTIME_BASE = '/var/lib/ingest';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * As a normal user, PostgreSQL runs as that user. As root, as the existing `postgres` system account,
 * created (groupadd/useradd, like embedded-postgres' createPostgresUser) when there is none.
 */
export async function resolveRuntimeUser(): Promise<RuntimeUser> {
  if (!isRoot()) {
    const uid = process.getuid?.() ?? -1;
    const gid = process.getgid?.() ?? -1;
    return { name: String(uid), uid, gid, runAs: {}, switched: false };
  }
  let ids = await lookupUser(RUNTIME_USER_NAME);
  if (!ids) {
    await createSystemUser(RUNTIME_USER_NAME);
    ids = await lookupUser(RUNTIME_USER_NAME);
  }
  if (!ids) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `PostgreSQL cannot run as root and no "${RUNTIME_USER_NAME}" user exists or could be created; create one (useradd --system ${RUNTIME_USER_NAME}) or set DATABASE_URL`,
    );
  }
  return { name: RUNTIME_USER_NAME, ...ids, runAs: ids, switched: true };
}

/** The uid and gid of a named account, or undefined when there is none. */
async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const [u, g] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
  if (u.code !== 0 || g.code !== 0) return undefined;
  const uid = Number.parseInt(u.stdout.trim(), 10);
  const gid = Number.parseInt(g.stdout.trim(), 10);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

async function createSystemUser(name: string): Promise<void> {
  // -f: succeed when the group exists (another process may be creating it right now).
  const group = await runCommand('groupadd', ['-f', '--system', name]);
  if (group.code !== 0) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `could not create the "${name}" group: ${commandOutput(group)}`,
    );
  }
  const user = await runCommand('useradd', ['--system', '-g', name, '-M', '-s', '/usr/sbin/nologin', name]);
  // Exit code 9: the name is taken, i.e. a concurrent process created it first, which is fine.
  if (user.code !== 0 && user.code !== 9) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `could not create the "${name}" user: ${commandOutput(user)}`,
    );
  }
}

/**
 * PostgreSQL must run as the owner of its data folder. As root, that is normally the postgres account,
 * but a home first used by another account keeps running as that account.
 */
export async function dataOwner(dataDir: string, user: RuntimeUser): Promise<RuntimeUser> {
  if (!user.switched) return user;
  const st = await stat(dataDir).catch(() => undefined);
  if (!st || st.uid === 0 || st.uid === user.uid) return user;
  return {
    name: String(st.uid),
    uid: st.uid,
    gid: st.gid,
    runAs: { uid: st.uid, gid: st.gid },
    switched: true,
  };
}

/**
 * Whether the runtime user may use a path; always true when it is the current user. As root it is asked
 * the only reliable way: by running `test` as that user (permission bits, ACLs and every ancestor folder
 * all count). Flags: '-x' execute/traverse, '-w' write, '-r' read.
 */
export async function runtimeUserCan(
  user: RuntimeUser,
  flag: '-x' | '-w' | '-r',
  path: string,
): Promise<boolean> {
  if (!user.switched) return true;
  const result = await runCommand('test', [flag, path], user.runAs);
  return result.code === 0;
}

/** Gives a file that ingest (root) wrote to the runtime user, who must read or append to it. */
export async function giveToRuntimeUser(path: string, user: RuntimeUser): Promise<void> {
  if (user.switched) await chown(path, user.uid, user.gid);
}

/** Gives a folder to the runtime user with this mode, when root made it or it has another owner. */
export async function giveFolderToRuntimeUser(path: string, user: RuntimeUser, mode: number): Promise<void> {
  if (!user.switched) return;
  const st = await stat(path);
  if (st.uid !== user.uid) await chown(path, user.uid, user.gid);
  if ((st.mode & 0o777) !== mode) await chmod(path, mode);
}

/** Where binaries are copied when the runtime user cannot execute the installed ones. */
export function binariesCopyRoot(home: string, user: RuntimeUser): string {
  return user.switched ? ROOT_RUNTIME_BASE : home;
}

/** A stable, short folder name for a home: the first 12 hex digits of the SHA-256 of its absolute path. */
function homeHash(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12);
}

/** The folder for the cluster and log of a home the runtime user cannot reach: /var/lib/ingest/<hash>. */
export function runtimeDirOutsideHome(home: string): string {
  return join(ROOT_RUNTIME_BASE, homeHash(home));
}

/** The paths placeOutsideHome lays out (those of the home's EmbeddedLayout). */
export interface OutsideHomePlace {
  home: string;
  /** `<home>/pg`, which becomes a symlink to dataDir. */
  link: string;
  /** runtimeDirOutsideHome(home). */
  runtimeDir: string;
  dataDir: string;
  logFile: string;
  user: RuntimeUser;
}

/**
 * As root, when the runtime user cannot traverse to the home: creates the cluster's folder in
 * /var/lib/ingest/<hash>, owned by the runtime user with mode 700, and links `<home>/pg` (and
 * `<home>/pg.log`) to it, so everything else finds the cluster through the home as usual.
 */
export async function placeOutsideHome(place: OutsideHomePlace, log: Logger): Promise<void> {
  const { home, user } = place;
  await mkdir(ROOT_RUNTIME_BASE, { recursive: true, mode: 0o755 });
  await chmod(ROOT_RUNTIME_BASE, 0o755);
  for (const dir of [place.runtimeDir, place.dataDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await giveFolderToRuntimeUser(dir, user, 0o700);
  }
  // Says which home a hashed folder belongs to, for whoever cleans up /var/lib/ingest.
  await writeFile(join(place.runtimeDir, 'home'), `${home}\n`);
  await symlinkIfAbsent(place.dataDir, place.link);
  await symlinkIfAbsent(place.logFile, join(home, 'pg.log'));
  log.info(
    { home, dataDir: place.dataDir, logFile: place.logFile, runtimeUser: user.name },
    `the embedded PostgreSQL runs as "${user.name}", which cannot reach ${home}: its data lives in ${place.dataDir} (linked from ${place.link})`,
  );
}

async function symlinkIfAbsent(target: string, path: string): Promise<void> {
  await symlink(target, path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
