import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, open, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import { isRoot, type RuntimeUser, resolveRuntimeUser, userCan } from './run-as-root.js';

/**
 * Where one ingest home keeps its embedded server. Files that coordinate CLI processes (lock, leases,
 * state, password) stay in the home, owned by the CLI's user; the cluster and its log live where the
 * runtime user can write.
 */
export interface EmbeddedLayout {
  home: string;
  /** `<home>/pg`: the cluster itself, or (running as root) a symlink to it. */
  link: string;
  /** The cluster's real folder (PGDATA). */
  dataDir: string;
  /** The folder holding dataDir and the server log: the home, or /var/lib/ingest/<hash> as root. */
  runtimeDir: string;
  logFile: string;
  passwordFile: string;
  lockFile: string;
  leasesDir: string;
  stateFile: string;
  /** Where binaries are copied when the runtime user cannot execute the installed ones. */
  binariesCopyRoot: string;
  user: RuntimeUser;
}

// Root-owned and world-traversable, so the postgres account can reach its own folders inside even when
// the home (default /root/.ingest) is not reachable for it. /root's own permissions are never changed.
export const ROOT_RUNTIME_BASE = '/var/lib/ingest';

/** A stable, short folder name for a home: the first 12 hex digits of the SHA-256 of its absolute path. */
export function homeHash(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12);
}

function layoutFor(home: string, dataDir: string, runtimeDir: string, user: RuntimeUser): EmbeddedLayout {
  return {
    home,
    link: join(home, 'pg'),
    dataDir,
    runtimeDir,
    logFile: join(runtimeDir, 'pg.log'),
    passwordFile: join(home, 'pg.password'),
    lockFile: join(home, 'pg.lock'),
    leasesDir: join(home, 'pg.leases'),
    stateFile: join(home, 'pg.state.json'),
    binariesCopyRoot: user.switched ? ROOT_RUNTIME_BASE : home,
    user,
  };
}

/**
 * Finds the layout of an existing home without changing anything; for a home with no cluster yet, the
 * layout a first start would choose is not known without probing, so the direct one is returned.
 */
export async function findLayout(homeArg: string): Promise<EmbeddedLayout> {
  const home = resolve(homeArg);
  const user = await resolveRuntimeUser();
  const link = join(home, 'pg');
  const entry = await lstat(link).catch(() => undefined);
  if (entry?.isSymbolicLink()) {
    const dataDir = resolve(home, await readlink(link));
    return layoutFor(home, dataDir, dirname(dataDir), await ownerOf(dataDir, user));
  }
  return layoutFor(home, link, home, entry ? await ownerOf(link, user) : user);
}

/**
 * PostgreSQL must run as the owner of its data folder. As root, that is normally the postgres account,
 * but a home first used by another account keeps running as that account.
 */
async function ownerOf(dataDir: string, user: RuntimeUser): Promise<RuntimeUser> {
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
 * Finds or creates the layout for a home. As a normal user everything lives in `<home>/pg`. As root, the
 * runtime user must reach the data folder: when it cannot traverse to the home (e.g. /root/.ingest, as
 * /root is mode 700), the cluster goes to /var/lib/ingest/<hash>/pg, owned by the runtime user with mode
 * 700, and `<home>/pg` (and `<home>/pg.log`) become symlinks to it.
 */
export async function prepareLayout(homeArg: string, log: Logger): Promise<EmbeddedLayout> {
  const home = resolve(homeArg);
  // 700: the home holds the database password and the originals of every upload.
  await mkdir(home, { recursive: true, mode: 0o700 });
  const existing = await findLayout(home);
  const linkEntry = await lstat(existing.link).catch(() => undefined);
  if (linkEntry) {
    if (linkEntry.isSymbolicLink()) await ensureOwnedDir(existing.runtimeDir, existing.user, 0o700);
    await ensureOwnedDir(existing.dataDir, existing.user, 0o700);
    await ensureLogFile(existing);
    return existing;
  }
  const user = existing.user;
  if (!isRoot() || (await userCan(user, '-x', home))) {
    const layout = layoutFor(home, existing.link, home, user);
    await ensureOwnedDir(layout.dataDir, user, 0o700);
    await ensureLogFile(layout);
    return layout;
  }
  await mkdir(ROOT_RUNTIME_BASE, { recursive: true, mode: 0o755 });
  await chmod(ROOT_RUNTIME_BASE, 0o755);
  const runtimeDir = join(ROOT_RUNTIME_BASE, homeHash(home));
  const layout = layoutFor(home, join(runtimeDir, 'pg'), runtimeDir, user);
  await ensureOwnedDir(runtimeDir, user, 0o700);
  await ensureOwnedDir(layout.dataDir, user, 0o700);
  // Says which home a hashed folder belongs to, for whoever cleans up /var/lib/ingest.
  await writeFile(join(runtimeDir, 'home'), `${home}\n`);
  await symlinkIfAbsent(layout.dataDir, layout.link);
  await symlinkIfAbsent(layout.logFile, join(home, 'pg.log'));
  await ensureLogFile(layout);
  log.info(
    { home, dataDir: layout.dataDir, logFile: layout.logFile, runtimeUser: user.name },
    `the embedded PostgreSQL runs as "${user.name}", which cannot reach ${home}: its data lives in ${layout.dataDir} (linked from ${layout.link})`,
  );
  return layout;
}

async function ensureOwnedDir(path: string, user: RuntimeUser, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  if (!user.switched) return;
  const st = await stat(path);
  if (st.uid !== user.uid) await chown(path, user.uid, user.gid);
  if ((st.mode & 0o777) !== mode) await chmod(path, mode);
}

/** pg_ctl's shell opens the log as the runtime user, which may not create files in a root-owned home. */
async function ensureLogFile(layout: EmbeddedLayout): Promise<void> {
  const handle = await open(layout.logFile, 'a', 0o600);
  await handle.close();
  if (layout.user.switched) await chown(layout.logFile, layout.user.uid, layout.user.gid);
}

async function symlinkIfAbsent(target: string, path: string): Promise<void> {
  await symlink(target, path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
