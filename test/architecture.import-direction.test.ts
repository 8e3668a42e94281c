import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';

/**
 * The layers of ARCHITECTURE.md, lowest first. A module may import from its own folder and from any folder
 * of a lower layer, never from its own layer's other folders or from above. `base` is the root-level
 * modules of `src/` (errors, config, limits, logger, units, ids, paths, hash-meter, wait-for-event).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['domain'],
  ['base'],
  ['db', 'storage', 'embedded-postgres', 'telemetry'],
  ['api-keys'],
  ['chunker', 'metrics'],
  ['workers'],
  ['cache-coherence'],
  ['ingest', 'people', 'operations'],
  // Background work on the job queue sits above the pipeline it runs (jobs -> ingest) and below the
  // processes that start it (server, cli): ingest never knows whether a request or a job called it.
  ['jobs'],
  ['server'],
  ['cli'],
];

const RANK = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder) => [folder, rank] as const)));

interface ImportEdge {
  file: string;
  specifier: string;
  from: string;
  to: string;
  /** The imported path relative to src/, e.g. `db/index.ts`. */
  target: string;
}

const SRC = join(packageRoot(), 'src');

/** `db/files.ts` -> `db`; `errors.ts` -> `base`. */
function folderOf(pathInSrc: string): string {
  const parts = pathInSrc.split(sep);
  return parts.length > 1 ? parts[0]! : 'base';
}

/** Every relative import and re-export in src/, static or dynamic, with the folders at both ends. */
async function importEdges(): Promise<ImportEdge[]> {
  const edges: ImportEdge[] = [];
  const entries = await readdir(SRC, { recursive: true });
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm;
  for (const entry of entries) {
    if (!entry.endsWith('.ts')) continue;
    const text = await readFile(join(SRC, entry), 'utf8');
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1]!;
      const target = relative(SRC, resolve(SRC, dirname(entry), specifier)).replace(/\.js$/, '.ts');
      edges.push({ file: entry, specifier, from: folderOf(entry), to: folderOf(target), target });
    }
  }
  return edges;
}

describe('architecture', () => {
  it('places every folder of src/ in a layer', async () => {
    const folders = (await readdir(SRC, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((folder) => !RANK.has(folder))).toEqual([]);
  });

  it('imports point down the layers only', async () => {
    const edges = await importEdges();
    expect(edges.length).toBeGreaterThan(100);
    const upward = edges
      .filter((edge) => edge.from !== edge.to && RANK.get(edge.to)! >= RANK.get(edge.from)!)
      .map((edge) => `${edge.file} imports ${edge.specifier} (${edge.from} -> ${edge.to})`);
    expect(upward).toEqual([]);
  });

  it('domain imports nothing', async () => {
    const edges = await importEdges();
    expect(edges.filter((edge) => edge.from === 'domain' && edge.to !== 'domain')).toEqual([]);
  });

  it('uses another folder only through its index.ts', async () => {
    const edges = await importEdges();
    const reaching = edges
      .filter((edge) => edge.from !== edge.to && edge.to !== 'base')
      .filter((edge) => edge.target !== join(edge.to, 'index.ts'))
      .map((edge) => `${edge.file} imports ${edge.specifier}`);
    expect(reaching).toEqual([]);
  });

  it('ARCHITECTURE.md lists every folder in the layer this test enforces', async () => {
    const text = await readFile(join(packageRoot(), 'ARCHITECTURE.md'), 'utf8');
    const documented = new Map<string, number>();
    for (const row of text.matchAll(/^\|\s*(\d+)\s*\|\s*`src\/([a-z-]+)\/`/gm))
      documented.set(row[2]!, Number(row[1]));
    const enforced = new Map([...RANK].filter(([folder]) => folder !== 'base'));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(enforced));
  });

  it('catches an upward import and a reach past an index (the rule itself works)', () => {
    const from = folderOf(join('db', 'files.ts'));
    const to = folderOf(join('chunker', 'types.ts'));
    expect(RANK.get(to)! >= RANK.get(from)!).toBe(true);
    expect(folderOf('errors.ts')).toBe('base');
  });
});
