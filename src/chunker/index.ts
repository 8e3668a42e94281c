export { openChunks } from './open-chunks.js';
export type { ChunkerOptions, ChunkSource, Header, OpenChunks, RawChunk } from './types.js';
