import { lstat, mkdir, open, readlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../logger.js';
import {
  binariesCopyRoot,
  dataOwner,
  giveFolderToRuntimeUser,
  giveToRuntimeUser,
  placeOutsideHome,
  type RuntimeUser,
  resolveRuntimeUser,
  runtimeDirOutsideHome,
  runtimeUserCan,
} from './run-as-root.js';

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
    binariesCopyRoot: binariesCopyRoot(home, user),
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
  // A symlink is a cluster placed outside the home (only as root, see placeOutsideHome).
  if (entry?.isSymbolicLink()) {
    const dataDir = resolve(home, await readlink(link));
    return layoutFor(home, dataDir, dirname(dataDir), await dataOwner(dataDir, user));
  }
  return layoutFor(home, link, home, entry ? await dataOwner(link, user) : user);
}

/**
 * Finds or creates the layout for a home: everything lives in `<home>/pg`, unless (as root) the runtime
 * user cannot reach the home; then the cluster is placed outside it (see placeOutsideHome).
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
  if (await runtimeUserCan(user, '-x', home)) {
    const layout = layoutFor(home, existing.link, home, user);
    await ensureOwnedDir(layout.dataDir, user, 0o700);
    await ensureLogFile(layout);
    return layout;
  }
  // Only as root: the runtime user cannot traverse to the home.
  const runtimeDir = runtimeDirOutsideHome(home);
  const layout = layoutFor(home, join(runtimeDir, 'pg'), runtimeDir, user);
  await placeOutsideHome(layout, log);
  await ensureLogFile(layout);
  return layout;
}

async function ensureOwnedDir(path: string, user: RuntimeUser, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await giveFolderToRuntimeUser(path, user, mode);
}

/** pg_ctl's shell opens the log as the runtime user, which may not create files in a root-owned home. */
async function ensureLogFile(layout: EmbeddedLayout): Promise<void> {
  const handle = await open(layout.logFile, 'a', 0o600);
  await handle.close();
  await giveToRuntimeUser(layout.logFile, layout.user);
}
