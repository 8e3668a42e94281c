import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'vitest';

/** Mounts a tmpfs of `size` on `dir`; returns why that failed, or undefined once it is mounted. */
async function mountTmpfs(dir: string, size: string): Promise<string | undefined> {
  const mount = spawn('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  mount.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  try {
    const [status] = (await once(mount, 'close')) as [number | null];
    return status === 0 ? undefined : `mount exited with ${status}: ${stderr.trim()}`;
  } catch (err) {
    return `mount could not be started: ${(err as Error).message}`;
  }
}

/**
 * Mounts a tmpfs of `size` on `dir`, a real small disk to fill. Mounting needs root, which CI has, so under
 * CI a failed mount fails the test; elsewhere the test is skipped with the reason, after `cleanUp`.
 */
export async function mountTmpfsOrSkip(
  ctx: TestContext,
  dir: string,
  size: string,
  cleanUp: () => Promise<void> = async () => {},
): Promise<void> {
  const mountFailure = await mountTmpfs(dir, size);
  if (!mountFailure) return;
  await cleanUp();
  const reason = `mounting a tmpfs needs root and the mount command: ${mountFailure}`;
  if (process.env.CI) throw new Error(`CI runs as root, so this test must run there; ${reason}`);
  ctx.skip(reason);
}

/** Unmounts what mountTmpfsOrSkip mounted on `dir`. */
export async function unmountTmpfs(dir: string): Promise<void> {
  await once(spawn('umount', [dir], { stdio: 'ignore' }), 'close');
}
