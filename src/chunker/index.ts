export { openChunks } from './open-chunks.js';
export type { ChunkerOptions, ChunkSource, Header, OpenChunks, RawChunk } from './types.js';
export { utf8Sequences } from './utf8-sequences.js';
