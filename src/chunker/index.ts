export type { TextFormat } from './detect-input.js';
export { detectTextFormat } from './detect-input.js';
export type { InflationLimit } from './inflation-limit.js';
export { openChunks } from './open-chunks.js';
export { RecordMachine, recordEnd, STEP } from './record-machine.js';
export { type SniffOverrides, type SniffResult, sniffDialect } from './sniff-dialect.js';
export {
  fitNames,
  type HeaderLimits,
  type HeaderStep,
  headerStep,
  inProcessSniffer,
  type Sniffer,
} from './sniff-steps.js';
export type { ChunkerOptions, ChunkSource, Header, OpenChunks, RawChunk } from './types.js';
export { utf8Sequences } from './utf8-sequences.js';
