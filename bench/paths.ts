import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root. The bench runs both from `bench/*.ts` (vitest) and from `dist/bench/*.js`
 * (`npm run bench`), so the root is found by walking up to package.json instead of a fixed `..`.
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Generated fixtures: large, reproducible from a seed, gitignored. */
export function fixturesDir(): string {
  return join(repoRoot(), 'bench', 'fixtures');
}

/** One JSON file per run, for `--compare`. */
export function resultsDir(): string {
  return join(repoRoot(), 'bench', 'results');
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined || !existsSync(script)) return false;
  return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(script);
}
