import type { HeaderLimits, HeaderStep, TextFormat } from '../chunker/index.js';
import type { ErrorCode, ErrorContext } from '../errors.js';

/**
 * What the main thread sends a worker to open a file: the decoded sample (a copy, transferred) and which
 * step to run on it. The steps grow with the sample, which a hostile header makes up to maxRecordBytes.
 */
export type SniffTask =
  | { kind: 'text-format'; sample: ArrayBuffer; atEnd: boolean }
  | { kind: 'header'; sample: ArrayBuffer; atEnd: boolean; limits: HeaderLimits };

/** A step's result, or the coded error it failed with (an Error's class does not survive the thread hop). */
export type SniffReply =
  | { ok: true; format: TextFormat }
  | { ok: true; step: HeaderStep }
  | { ok: false; error: { code: ErrorCode; message: string; context: ErrorContext } };
