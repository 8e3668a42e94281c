import { randomBytes } from 'node:crypto';
import { appendFile, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { IngestError } from '../errors.js';
import { isPidAlive } from '../pid-alive.js';
import type { PostgresBinaries } from './binaries.js';
import type { EmbeddedLayout } from './layout.js';
import { type CommandResult, commandOutput, runCommand } from './process.js';
import { giveToRuntimeUser } from './run-as-root.js';

/** The superuser initdb creates and the database ingest uses (created after the first start). */
export const SUPERUSER = 'postgres';
export const DATABASE = 'ingest';

// Included from postgresql.conf and rewritten before every start, so a newer ingest's settings apply to
// an old cluster. ALTER SYSTEM (postgresql.auto.conf, read later) still overrides any of them.
const CONFIG_FILE = 'ingest.conf';
const INCLUDE_LINE = `\n# Added by ingest: its settings for the embedded server.\ninclude_if_exists = '${CONFIG_FILE}'\n`;

// pg_ctl -w gives up after this many seconds; crash recovery after an unclean stop fits in it.
const PG_CTL_WAIT_SECONDS = 90;
// The log is appended forever by pg_ctl -l; past this size it is rotated to pg.log.1 at the next start.
const MAX_LOG_BYTES = 16 * 1024 * 1024;

function serverConfig(port: number): string {
  return [
    '# Written by ingest before every start of its embedded server. Use ALTER SYSTEM to override.',
    `port = ${port}`,
    "# Loopback only: the server is for this machine's ingest processes, never the network.",
    "listen_addresses = '127.0.0.1'",
    '# TCP only: no socket in /var/run/postgresql (absent or not writable for the runtime user) or /tmp.',
    "unix_socket_directories = ''",
    '# Durability stays: a crash must not lose files that ingest reported as ready.',
    'fsync = on',
    '# Bulk COPY writes WAL fast; a bigger budget means fewer forced checkpoints during a large load.',
    "max_wal_size = '1GB'",
    "checkpoint_timeout = '15min'",
    '# PostgreSQL 15 default; enough for a dev machine and it fits a container without raising limits.',
    "shared_buffers = '128MB'",
    '# Parallel CLI processes, the server and the test suite each hold a pool of up to ~10 connections.',
    'max_connections = 200',
    '# The slowest statements for logs.slow_queries (migration 0051); the binaries ship the module.',
    "shared_preload_libraries = 'pg_stat_statements'",
    "pg_stat_statements.track = 'top'",
    '# Output goes to the log file pg_ctl opens (-l), never to a pipe that could fill and block the server.',
    'logging_collector = off',
    '',
  ].join('\n');
}

/** The environment for initdb, pg_ctl and postgres: no PG* variables of the caller, messages in English. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG')) env[key] = value;
  env.LC_ALL = 'C';
  return env;
}

export function connectionString(password: string, port: number, database = DATABASE): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** The password of the cluster's superuser, made once (32 hex digits) and stored with mode 600. */
export async function readOrCreatePassword(
  layout: EmbeddedLayout,
  create: boolean,
): Promise<string | undefined> {
  const existing = await readFile(layout.passwordFile, 'utf8').catch(() => undefined);
  if (existing?.trim()) return existing.trim();
  if (!create) return undefined;
  const password = randomBytes(16).toString('hex');
  await writeFile(layout.passwordFile, `${password}\n`, { mode: 0o600, flag: 'w' });
  return password;
}

export async function isInitialised(layout: EmbeddedLayout): Promise<boolean> {
  return (await stat(join(layout.dataDir, 'PG_VERSION')).catch(() => undefined)) !== undefined;
}

/** Creates the cluster: superuser `postgres` with a password (scram-sha-256), UTF-8, C locale. */
export async function initCluster(
  layout: EmbeddedLayout,
  binaries: PostgresBinaries,
  password: string,
): Promise<void> {
  // initdb refuses a non-empty folder; one without PG_VERSION is the debris of an interrupted initdb.
  for (const entry of await readdir(layout.dataDir))
    await rm(join(layout.dataDir, entry), { recursive: true, force: true });
  // initdb reads the password from a file the runtime user can read: next to the cluster, mode 600.
  const pwfile = join(layout.runtimeDir, `.pwfile-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    await giveToRuntimeUser(pwfile, layout.user);
    const result = await runCommand(
      binaries.initdb,
      [
        `--pgdata=${layout.dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        // Password auth even on loopback: on a shared machine, trust would let any local account
        // connect as superuser and run programs as this server's account.
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // C collation: byte order, fast, and the same on every machine (no dependency on OS locales).
        '--no-locale',
      ],
      { ...layout.user.runAs, env: childEnv(), timeoutMs: 300_000 },
    );
    if (result.code !== 0) {
      await appendFile(layout.logFile, `\ninitdb failed:\n${result.stdout}\n${result.stderr}\n`).catch(
        () => undefined,
      );
      throw new IngestError(
        'DATABASE_UNAVAILABLE',
        `initdb failed to create the embedded PostgreSQL cluster in ${layout.dataDir} (${exitText(result)}): ${commandOutput(result)}. Log: ${layout.logFile}`,
      );
    }
  } finally {
    await unlink(pwfile).catch(() => undefined);
  }
  await appendFile(join(layout.dataDir, 'postgresql.conf'), INCLUDE_LINE);
}

/** What postmaster.pid says about a server on this data folder (see PostgreSQL's pidfile.h). */
export interface PostmasterInfo {
  pid: number;
  port: number;
  /** 'ready', 'starting', 'stopping' or 'standby'; '' from a server that has not written it yet. */
  status: string;
}

export async function readPostmaster(dataDir: string): Promise<PostmasterInfo | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/** True when a connection to the server succeeds and answers a query. */
export async function canConnect(url: string, timeoutMs = 3000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The running server of this layout, if one is up and answers; waits out a start or stop in progress. */
export async function findRunning(
  layout: EmbeddedLayout,
  password: string | undefined,
): Promise<{ pid: number; port: number } | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = await readPostmaster(layout.dataDir);
    if (!info || !isPidAlive(info.pid)) return undefined;
    if (password && (await canConnect(connectionString(password, info.port, 'postgres')))) {
      return { pid: info.pid, port: info.port };
    }
    // A stale postmaster.pid whose pid now belongs to another process, or a server we cannot log in to:
    // not usable. pg_ctl start then reports the real problem in the log.
    if (info.status !== 'starting' && info.status !== 'stopping') return undefined;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Asks the OS for a free loopback port (listen on 0, read it, close). Another process may take it before
 *  the server binds it, so startServer retries with a new one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

async function writeConfig(layout: EmbeddedLayout, port: number): Promise<void> {
  const path = join(layout.dataDir, CONFIG_FILE);
  await writeFile(path, serverConfig(port), { mode: 0o600 });
  await giveToRuntimeUser(path, layout.user);
}

async function rotateLog(layout: EmbeddedLayout): Promise<void> {
  const st = await stat(layout.logFile).catch(() => undefined);
  if (!st || st.size < MAX_LOG_BYTES) return;
  await rename(layout.logFile, `${layout.logFile}.1`);
  const handle = await open(layout.logFile, 'a', 0o600);
  await handle.close();
  await giveToRuntimeUser(layout.logFile, layout.user);
}

const BIND_FAILURE = /could not bind|Address already in use|could not create any TCP\/IP sockets/i;

/**
 * Starts the server detached with pg_ctl: postgres runs in its own session with its output appended to
 * the log file, so it survives this process and never writes into a pipe of ours. Returns its pid and port.
 */
export async function startServer(
  layout: EmbeddedLayout,
  binaries: PostgresBinaries,
): Promise<{ pid: number; port: number }> {
  await rotateLog(layout);
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await writeConfig(layout, port);
    const logStart = (await stat(layout.logFile).catch(() => undefined))?.size ?? 0;
    const result = await runCommand(
      binaries.pgCtl,
      ['start', '-D', layout.dataDir, '-l', layout.logFile, '-w', '-t', String(PG_CTL_WAIT_SECONDS), '-s'],
      { ...layout.user.runAs, env: childEnv(), timeoutMs: (PG_CTL_WAIT_SECONDS + 30) * 1000 },
    );
    const info = await readPostmaster(layout.dataDir);
    if (result.code === 0 && info && isPidAlive(info.pid)) return { pid: info.pid, port: info.port };
    const logged = await readFrom(layout.logFile, logStart);
    lastFailure = `${exitText(result)}: ${[commandOutput(result), lastLines(logged, 15)].filter(Boolean).join('\n')}`;
    if (!BIND_FAILURE.test(logged)) break;
  }
  throw new IngestError(
    'DATABASE_UNAVAILABLE',
    `the embedded PostgreSQL in ${layout.dataDir} failed to start (pg_ctl ${lastFailure}). Full log: ${layout.logFile}`,
  );
}

/** Stops the server with pg_ctl stop -m fast (rolls back open transactions, then a clean shutdown). */
export async function stopServer(layout: EmbeddedLayout, binaries: PostgresBinaries): Promise<CommandResult> {
  return runCommand(
    binaries.pgCtl,
    ['stop', '-D', layout.dataDir, '-m', 'fast', '-w', '-t', String(PG_CTL_WAIT_SECONDS), '-s'],
    { ...layout.user.runAs, env: childEnv(), timeoutMs: (PG_CTL_WAIT_SECONDS + 30) * 1000 },
  );
}

/** Creates the `ingest` database on a fresh cluster; a concurrent creator winning the race is fine. */
export async function ensureDatabase(password: string, port: number): Promise<void> {
  const client = new pg.Client({ connectionString: connectionString(password, port, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount) return;
    await client
      .query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`)
      .catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // duplicate_database
      });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function exitText(result: CommandResult): string {
  return result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(offset, size - 64 * 1024);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
