import { IngestError } from '../errors.js';

/**
 * How far a gzip upload may inflate: at most `maxBytes`, and at most `maxRatio` times its compressed size
 * once past `ratioFloorBytes` (small files may compress better than the ratio and cost little anyway).
 */
export interface InflationLimit {
  maxBytes: number;
  maxRatio: number;
  ratioFloorBytes: number;
  /** Size of the whole compressed input, known before inflating (the upload is on disk). */
  compressedBytes: number;
  /** The file's name, for the refusal's message. */
  name?: string;
}

/**
 * A check to call with the inflated byte count so far, which throws INFLATED_TOO_LARGE once it passes the
 * limit. Called before each inflated buffer is handed on, so decompression stops at the first buffer past
 * the limit (zlib inflates 16 KiB at a time) and the rest of the input is never read.
 */
export function inflationCheck(limit: InflationLimit): (inflatedBytes: number) => void {
  const byRatio = Math.max(limit.ratioFloorBytes, limit.maxRatio * limit.compressedBytes);
  const allowed = Math.min(limit.maxBytes, byRatio);
  const file = limit.name ?? 'the file';
  const reason =
    allowed === limit.maxBytes
      ? `the maximum inflated size of ${limit.maxBytes} bytes (INGEST_MAX_INFLATED_BYTES)`
      : `${limit.maxRatio} times its compressed size of ${limit.compressedBytes} bytes (INGEST_MAX_INFLATION_RATIO)`;
  return (inflatedBytes) => {
    if (inflatedBytes <= allowed) return;
    throw new IngestError(
      'INFLATED_TOO_LARGE',
      `${file} is gzip data that inflates to more than ${reason}; refused after ${inflatedBytes} inflated bytes`,
      {
        inflatedBytes,
        maxInflatedBytes: allowed,
        compressedBytes: limit.compressedBytes,
        ...(limit.name !== undefined && { file: limit.name }),
      },
    );
  };
}
