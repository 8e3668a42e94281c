export { type ChunkPool, createChunkPool, defaultThreads } from './chunk-pool.js';
export type {
  ChunkError,
  ChunkResult,
  ChunkTask,
  RejectedRow,
  RowErrorCode,
} from './chunk-task.js';
export { parseRecords } from './parse-chunk.js';
export type { RecordParser } from './record-parser.js';
export { transferableBuffer } from './transferable-buffer.js';
