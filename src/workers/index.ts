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
export { workerSniffer } from './sniff-client.js';
export type { SniffReply, SniffTask } from './sniff-task.js';
export { transferableBuffer } from './transferable-buffer.js';
