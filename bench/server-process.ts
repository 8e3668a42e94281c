/**
 * The server under load runs as its own process (`node dist/src/cli/main.js serve --port 0`), as in
 * production: its CPU is accounted apart from the load generator's, and its event loop is not shared
 * with autocannon's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';

/** How long the server may take to open the database, migrate and listen. */
const START_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  pid: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** User + system CPU seconds the process has used so far; null where /proc is unavailable. */
  cpuSeconds(): Promise<number | null>;
  /** Peak RSS of the process so far in bytes (VmHWM); null where /proc is unavailable. */
  peakRssBytes(): Promise<number | null>;
  /** SIGTERM (graceful shutdown), then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `ingest serve --port 0` with `env` added to this process's environment and waits for its
 * "listening on" line. The server's structured logs (stderr) go to `logPath`.
 */
export function startServerProcess(env: Record<string, string>, logPath: string): Promise<ServerProcess> {
  return startListeningProcess(
    [join(packageRoot(), 'dist/src/cli/main.js'), 'serve', '--port', '0', '--grace', '5'],
    env,
    logPath,
  );
}

/**
 * Starts `node <args>` with `env` added to this process's environment and waits for the "listening on
 * <url>" line it prints on stdout. Its stderr goes to `logPath`.
 */
export async function startListeningProcess(
  args: string[],
  env: Record<string, string>,
  logPath: string,
): Promise<ServerProcess> {
  // The log file is the child's own stderr: its (synchronous) log writes never wait on this process,
  // whose event loop is busy generating load.
  const logFd = openSync(logPath, 'w');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      cwd: packageRoot(),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const url = await listeningUrl(child, START_TIMEOUT_MS, `(log: ${logPath})`);
  // Nothing else is printed on stdout; keep the pipe drained.
  child.stdout!.resume();
  const pid = child.pid!;
  return {
    pid,
    url,
    cpuSeconds: () => procCpuSeconds(pid),
    peakRssBytes: () => procPeakRss(pid),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/**
 * The URL a starting `ingest serve` child prints on stdout ("listening on http://..."). Rejects, naming
 * `context` (where its logs are), if it exits, fails to spawn or does not listen within `timeoutMs`
 * (and is then sent SIGTERM).
 */
export function listeningUrl(child: ChildProcess, timeoutMs: number, context: string): Promise<string> {
  let stdout = '';
  return new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`ingest serve ${why} ${context}`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      fail(`did not listen within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => fail(`exited with ${code} before listening`));
    child.once('error', (err) => fail(`could not start: ${err.message}`));
  });
}

/** utime + stime from /proc/<pid>/stat, in seconds (clock ticks are 100 Hz on Linux). */
async function procCpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is parenthesised and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : null;
  } catch {
    return null;
  }
}

async function procPeakRss(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
