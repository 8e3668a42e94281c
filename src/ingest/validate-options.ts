import { ON_ERROR_POLICIES } from '../domain/index.js';
import { IngestError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { formatBytes } from '../units.js';
import type { ChunkSettings } from './process-chunks.js';
import type { IngestOptions } from './types.js';

function checkInteger(
  name: string,
  value: number,
  min: number,
  max: number,
  describe: (n: number) => string = String,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be an integer between ${describe(min)} and ${describe(max)}, got ${value}`,
      {
        option: name,
      },
    );
  }
  return value;
}

/** Checks the tuning options once, at the edge, naming the option and the bad value. */
export function validateIngestOptions(options: IngestOptions): ChunkSettings {
  const chunkBytes = checkInteger(
    'chunkBytes',
    options.chunkBytes ?? LIMITS.chunkBytes.default,
    LIMITS.chunkBytes.min,
    LIMITS.chunkBytes.max,
    formatBytes,
  );
  const maxRecordBytes = checkInteger(
    'maxRecordBytes',
    options.maxRecordBytes ?? LIMITS.maxRecordBytes.default,
    LIMITS.maxRecordBytes.min,
    LIMITS.maxRecordBytes.max,
    formatBytes,
  );
  const gzipLevel = checkInteger(
    'gzipLevel',
    options.gzipLevel ?? LIMITS.gzipLevel.default,
    LIMITS.gzipLevel.min,
    LIMITS.gzipLevel.max,
  );
  if (options.maxErrors !== undefined)
    checkInteger('maxErrors', options.maxErrors, 0, Number.MAX_SAFE_INTEGER);
  if (options.onError !== undefined && !(ON_ERROR_POLICIES as readonly string[]).includes(options.onError)) {
    throw new IngestError(
      'INVALID_OPTION',
      `onError must be ${ON_ERROR_POLICIES.join(' or ')}, got ${JSON.stringify(options.onError)}`,
      { option: 'onError' },
    );
  }
  return { chunkBytes, maxRecordBytes, gzipLevel };
}
