import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { listeningUrl } from '../../bench/server-process.js';
import { packageRoot } from '../../src/paths.js';

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr so far (structured logs). */
  stderr(): string;
  /** SIGTERM, then the exit code once it exited. */
  stop(): Promise<number | null>;
}

/** Runs the built `ingest serve --port 0` as a child process and waits for its "listening on" line. */
export async function spawnServe(env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(packageRoot(), 'dist/src/cli/main.js'), 'serve', '--port', '0', '--grace', '5'],
    {
      cwd: packageRoot(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const url = await listeningUrl(child, 30_000, '').catch((err: Error) => {
    throw new Error(`${err.message}; its stderr: ${stderr}`);
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}
