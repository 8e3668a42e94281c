import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The package's root folder (the one holding package.json), found from this module's location, so the
 * same code works when run from `src/` (tests) and from `dist/src/` (the built CLI).
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ingest: cannot find package.json above the running module');
    dir = parent;
  }
  cachedRoot = dir;
  return dir;
}

/** Built JavaScript for a module under src/, e.g. builtModule('workers/chunk-worker.js'). Workers need JS. */
export function builtModule(relativeToSrc: string): string {
  return join(packageRoot(), 'dist', 'src', relativeToSrc);
}

/** A data file shipped in the source tree (SQL migrations), e.g. sourceAsset('db/migrations'). */
export function sourceAsset(relativeToSrc: string): string {
  return join(packageRoot(), 'src', relativeToSrc);
}
