import { spawn } from 'node:child_process';

/** Who a child process runs as. Empty when it runs as the current user (always, unless root: run-as-root.ts). */
export interface RunAs {
  uid?: number;
  gid?: number;
}

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends RunAs {
  env?: NodeJS.ProcessEnv;
  /** Kills the child after this many milliseconds (SIGKILL); the result then has a signal. */
  timeoutMs?: number;
}

// initdb and pg_ctl print a few KB at most; the cap only guards against a runaway child filling memory.
const MAX_CAPTURED_CHARS = 64 * 1024;

/**
 * Runs a command to completion with async spawn, draining stdout and stderr as they arrive, so neither the
 * child nor the event loop ever blocks on a full pipe. Never throws for a non-zero exit: callers decide.
 */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      // A child running as another user may not be allowed into the caller's working directory (/root),
      // and initdb and pg_ctl resolve their own location from it.
      cwd: '/',
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
      ...(options.timeoutMs !== undefined
        ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const }
        : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_CAPTURED_CHARS) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_CAPTURED_CHARS) stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The command's output for an error message: stderr, else stdout, trimmed. */
export function commandOutput(result: CommandResult): string {
  return (result.stderr.trim() || result.stdout.trim()).slice(-4000);
}
