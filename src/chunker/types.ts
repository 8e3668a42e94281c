import type { Readable } from 'node:stream';
import type { Dialect, DialectOverrides } from '../domain/index.js';
import type { InflationLimit } from './inflation-limit.js';
import type { Sniffer } from './sniff-steps.js';

/** The header record, parsed and as raw bytes. */
export interface Header {
  /** Header record bytes exactly as uploaded after decoding (UTF-8, no BOM), including its line ending. */
  raw: Buffer;
  /** Column names as written in the file. */
  originalNames: string[];
  /** Column names after the deterministic renames: empty -> `column_<n>` (1-based), duplicates -> `name_2`, ... */
  names: string[];
  /** Physical lines the header spans (more than one when a quoted name holds a newline). */
  lines: number;
}

/** A slice of whole records; concatenating every chunk's bytes after the header reproduces the decoded input. */
export interface RawChunk {
  /** 0-based position in the file. */
  index: number;
  /** UTF-8 bytes of whole records; ends right after a record's line ending, or at end of input. */
  bytes: Buffer;
}

export interface ChunkerOptions {
  /** Target raw size of a chunk in bytes; a chunk ends at the first record boundary at or after it. */
  chunkBytes: number;
  /** A single record longer than this fails with RECORD_TOO_LARGE (memory stays bounded). */
  maxRecordBytes: number;
  /** A header with more columns fails with TOO_MANY_COLUMNS before any per-column work; unbounded when absent. */
  maxColumns?: number;
  /** A longer header record fails with HEADER_TOO_LARGE; bounded by maxRecordBytes only when absent. */
  maxHeaderBytes?: number;
  /** How far gzip input may inflate (INFLATED_TOO_LARGE past it); unbounded when absent. */
  inflation?: Omit<InflationLimit, 'name'>;
  /** Where encoding detection, dialect sniffing and header parsing run; in this thread when absent. */
  sniffer?: Sniffer;
  /** The file's name, for the messages of the limits above. */
  name?: string;
  /** Dialect choices the caller made; the sniffer decides the rest. */
  overrides?: DialectOverrides;
  /** The lenient bad-row policy: the header is fitted to the width most records agree on. */
  lenient?: boolean;
}

/** What `openChunks` returns once it has sniffed the start of the input. */
export interface ChunkSource {
  /** How to read the chunks (and export them): what the sniffer chose and the caller fixed. */
  dialect: Dialect;
  /** How sure the sniffer was (0-1; 1 when the caller fixed delimiter, quote and header). */
  confidence: number;
  header: Header;
  /** The data records, in order. Pull-based: the input is read only as fast as this is iterated. */
  chunks: AsyncIterable<RawChunk>;
}

export type OpenChunks = (input: Readable, options: ChunkerOptions) => Promise<ChunkSource>;
