import type { Readable } from 'node:stream';
import type { Dialect } from '../domain/index.js';

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
}

/** What `openChunks` returns once it has sniffed the start of the input. */
export interface ChunkSource {
  dialect: Dialect;
  header: Header;
  /** The data records, in order. Pull-based: the input is read only as fast as this is iterated. */
  chunks: AsyncIterable<RawChunk>;
}

export type OpenChunks = (input: Readable, options: ChunkerOptions) => Promise<ChunkSource>;
