import type { ClaimedFile } from '../db/index.js';
import type { Logger } from '../logger.js';
import type { PhaseTimer } from './phase-timer.js';
import type { ChunkSettings } from './process-chunks.js';
import type { ReceivedUpload } from './receive-upload.js';
import type { IngestOptions, IngestServices } from './types.js';

/** What one ingest of one upload knows once its bytes are received: handed to each step of ingest(). */
export interface IngestAttempt {
  services: IngestServices;
  options: IngestOptions;
  organization: IngestOptions['organization'];
  /** The source's facts: local path, filename, size and SHA-256. */
  upload: ReceivedUpload;
  settings: ChunkSettings;
  timer: PhaseTimer;
  log: Logger;
}

/** An attempt that owns its file row: what the transaction and the clean-up of a failure work on. */
export interface ClaimedAttempt extends IngestAttempt {
  file: ClaimedFile & { objectKey: string };
  /** The original's upload to the object store, running beside the transaction. */
  original: OriginalUpload;
}

export interface OriginalUpload {
  /** Settles once the original is in the store; a failure surfaces where it is awaited. */
  done: Promise<void>;
  /** Whether this attempt wrote the object, and so removes it if the attempt fails. */
  wrote: boolean;
}
