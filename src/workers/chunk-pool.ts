import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { builtModule } from '../paths.js';
import type { ChunkResult, ChunkTask } from './chunk-task.js';
import type { SniffReply, SniffTask } from './sniff-task.js';

/** The worker pool as the pipeline sees it. */
export interface ChunkPool {
  readonly threads: number;
  /** Processes one chunk; `task.buffer` is transferred to the worker and unusable afterwards. */
  run(task: ChunkTask): Promise<ChunkResult>;
  /** Runs one step of opening a file (see sniff-task.ts); `task.sample` is transferred. */
  sniff(task: SniffTask): Promise<SniffReply>;
  close(): Promise<void>;
}

/** One worker per core by default: parsing, statistics and gzip are CPU bound. */
export function defaultThreads(): number {
  return availableParallelism();
}

export function createChunkPool(options: { threads?: number } = {}): ChunkPool {
  const threads = options.threads ?? defaultThreads();
  // Worker threads need JavaScript: the built worker serves both the CLI and tests run from source.
  const filename = builtModule('workers/chunk-worker.js');
  if (!existsSync(filename)) {
    throw new IngestError('INTERNAL', `worker script ${filename} is missing: run \`npm run build\` first`);
  }
  const piscina = new Piscina<ChunkTask | SniffTask, ChunkResult | SniffReply>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    // Work is bounded by the pipeline's in-flight window; a crashed worker is replaced by piscina.
    idleTimeout: 30_000,
    resourceLimits: { maxYoungGenerationSizeMb: LIMITS.workerYoungGenerationMb },
  });
  return {
    threads,
    async run(task) {
      try {
        return (await piscina.run(task, { transferList: [task.buffer] })) as ChunkResult;
      } catch (err) {
        throw new IngestError(
          'WORKER_FAILED',
          `a worker failed while processing a chunk: ${(err as Error).message}`,
          {},
          { cause: err },
        );
      }
    },
    async sniff(task) {
      try {
        return (await piscina.run(task, { name: 'sniff', transferList: [task.sample] })) as SniffReply;
      } catch (err) {
        throw new IngestError(
          'WORKER_FAILED',
          `a worker failed while opening a file: ${(err as Error).message}`,
          {},
          { cause: err },
        );
      }
    },
    async close() {
      await piscina.destroy();
    },
  };
}
