import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { IngestError, isIngestError } from '../errors.js';
import { createHashMeter, type HashMeter } from '../hash-meter.js';
import { MiB } from '../limits.js';
import { spoolFileName } from './spool-file.js';
import type { IngestOptions, IngestSource } from './types.js';

/** An upload whose bytes are on local disk, hashed. */
export interface ReceivedUpload {
  path: string;
  filename: string;
  sha256: string;
  bytes: number;
  /** Removes the spool file, if this upload needed one. */
  cleanup(): Promise<void>;
}

/** Read size for local files: large reads keep syscalls out of the profile (fs defaults to 64 KiB). */
export const READ_CHUNK = 1 * MiB;

/**
 * Makes the upload's bytes available as a local file and hashes them (SHA-256) on the way, so dedup
 * can answer before any parse work. A local path is read in place; a stream (an HTTP body) is spooled
 * to INGEST_HOME/spool. The byte limit is enforced while reading: nothing past it is kept.
 */
export async function receiveUpload(
  source: IngestSource,
  spoolDir: string,
  options: IngestOptions,
): Promise<ReceivedUpload> {
  const limit = options.byteLimit;
  if (source.kind === 'path') {
    const filename = source.filename ?? basename(source.path);
    let size: number;
    try {
      const s = await stat(source.path);
      if (!s.isFile()) throw new Error('not a regular file');
      size = s.size;
    } catch (err) {
      throw new IngestError(
        'SOURCE_NOT_FOUND',
        `cannot read ${source.path}: ${(err as Error).message}`,
        { file: filename },
        { cause: err },
      );
    }
    if (limit && size > limit.bytes)
      throw new IngestError(limit.code, limit.message, { file: filename, bytes: size });
    const meter = hashingMeter(size, options, 'hashing');
    await pipeline(
      createReadStream(source.path, { highWaterMark: READ_CHUNK, signal: options.signal }),
      meter.transform,
      async (s) => {
        for await (const _ of s);
      },
    ).catch((err) => rethrow(err, filename, options));
    return {
      path: source.path,
      filename,
      sha256: meter.sha256(),
      bytes: meter.bytes(),
      cleanup: async () => {},
    };
  }

  const filename = source.filename;
  if (limit && source.declaredBytes !== undefined && source.declaredBytes > limit.bytes) {
    throw new IngestError(limit.code, limit.message, { file: filename, bytes: source.declaredBytes });
  }
  await mkdir(spoolDir, { recursive: true });
  // Named after this process, so a sweep can tell it from an orphan (spool-file.ts).
  const path = join(spoolDir, spoolFileName());
  const cleanup = () => rm(path, { force: true });
  const meter = hashingMeter(source.declaredBytes, options, 'receiving');
  // Created before the pipeline runs: a write stream opens its file asynchronously, so an upload refused
  // at once (over a limit in its first bytes) could otherwise create the file after cleanup removed it.
  const file = await open(path, 'wx');
  try {
    await pipeline(source.stream, meter.transform, file.createWriteStream(), { signal: options.signal });
  } catch (err) {
    await file.close().catch(() => undefined);
    await cleanup();
    rethrow(err, filename, options);
  }
  return { path, filename, sha256: meter.sha256(), bytes: meter.bytes(), cleanup };
}

/** The upload's SHA-256 and size as it streams, refused past the byte limit, with progress reports. */
function hashingMeter(
  totalBytes: number | undefined,
  options: IngestOptions,
  phase: 'hashing' | 'receiving',
): HashMeter {
  const limit = options.byteLimit;
  return createHashMeter({
    eachPiece(bytes) {
      if (limit && bytes > limit.bytes) throw new IngestError(limit.code, limit.message, { bytes });
      options.onProgress?.({ bytes, totalBytes, phase });
    },
  });
}

function rethrow(err: unknown, filename: string, options: IngestOptions): never {
  if (isIngestError(err)) throw err.withContext({ file: filename });
  if (options.signal?.aborted) {
    throw new IngestError(
      'CANCELLED',
      `upload of ${filename} was cancelled`,
      { file: filename },
      { cause: err },
    );
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    throw new IngestError(
      'STORAGE_ERROR',
      `no space left to spool ${filename}`,
      { file: filename },
      { cause: err },
    );
  }
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ABORT_ERR') {
    throw new IngestError(
      'CANCELLED',
      `the upload of ${filename} was interrupted before it ended`,
      { file: filename },
      { cause: err },
    );
  }
  throw new IngestError(
    'SOURCE_NOT_FOUND',
    `cannot read ${filename}: ${(err as Error).message}`,
    { file: filename },
    { cause: err },
  );
}
