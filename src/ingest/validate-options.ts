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
  if (options.dialect) validateDialectOverrides(options.dialect);
  return { chunkBytes, maxRecordBytes, gzipLevel };
}

const ENCODINGS = ['utf-8', 'windows-1252', 'utf-16le', 'utf-16be'];

/**
 * Dialect overrides: each character option is one character, and no two of delimiter, quote and comment
 * may be the same (records could not be told apart); line counts are positive.
 */
function validateDialectOverrides(dialect: NonNullable<IngestOptions['dialect']>): void {
  const chars: [string, string | undefined][] = [
    ['delimiter', dialect.delimiter],
    ['quote', dialect.quote],
    ['escape', dialect.escape],
    ['comment', dialect.comment],
  ];
  for (const [option, value] of chars) {
    if (value === undefined) continue;
    if ([...value].length !== 1 || value === '\n' || value === '\r' || value.charCodeAt(0) > 0x7f) {
      throw new IngestError(
        'INVALID_OPTION',
        `${option} must be one ASCII character other than a line ending, got ${JSON.stringify(value)}`,
        { option },
      );
    }
  }
  const distinct = [dialect.delimiter, dialect.quote, dialect.comment].filter((v) => v !== undefined);
  if (new Set(distinct).size !== distinct.length) {
    throw new IngestError('INVALID_OPTION', 'delimiter, quote and comment must be different characters', {
      option: 'delimiter',
    });
  }
  if (dialect.headerRow !== undefined) checkInteger('headerRow', dialect.headerRow, 1, 1_000_000);
  if (dialect.skipRows !== undefined) checkInteger('skipRows', dialect.skipRows, 0, 1_000_000);
  if (dialect.headerRow !== undefined && (dialect.skipRows !== undefined || dialect.header === false)) {
    throw new IngestError('INVALID_OPTION', 'headerRow cannot be combined with skipRows or header: false', {
      option: 'headerRow',
    });
  }
  if (dialect.encoding !== undefined && !ENCODINGS.includes(dialect.encoding)) {
    throw new IngestError(
      'INVALID_OPTION',
      `encoding must be one of ${ENCODINGS.join(', ')}, got ${JSON.stringify(dialect.encoding)}`,
      { option: 'encoding' },
    );
  }
}
