export { openChunks } from './open-chunks.js';
export type {
  ChunkerOptions,
  ChunkSource,
  Delimiter,
  Dialect,
  Header,
  OpenChunks,
  RawChunk,
  SourceEncoding,
} from './types.js';
