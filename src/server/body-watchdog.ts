import type { FastifyRequest } from 'fastify';
import type { UploadAdmissionConfig } from '../config.js';
import { IngestError } from '../errors.js';
import { formatBytes } from '../units.js';

/**
 * Watches an upload's body while it is being received and calls `tooSlow` once, with UPLOAD_TOO_SLOW,
 * when no byte arrived for `bodyIdleTimeoutMs`, or when a window of that length brought fewer than
 * `minUploadBytesPerSecond` per second. The server has no request timeout (an upload may rightly take
 * hours), so this is what stops a body trickling in from holding its spool file and upload slot.
 *
 * Counts the bytes the connection has read (socket.bytesRead): that covers a raw body and every part
 * of a multipart one, including the preamble before the file part, without reading the stream itself.
 * Stops by itself once the request is complete; returns a function that stops it earlier.
 */
export function watchBody(
  request: FastifyRequest,
  limits: Pick<UploadAdmissionConfig, 'bodyIdleTimeoutMs' | 'minUploadBytesPerSecond'>,
  tooSlow: (error: IngestError) => void,
): () => void {
  const socket = request.raw.socket;
  const idleMs = limits.bodyIdleTimeoutMs;
  const minWindowBytes = (limits.minUploadBytesPerSecond * idleMs) / 1000;
  let lastBytes = socket.bytesRead;
  let lastByteAt = Date.now();
  let windowStartBytes = lastBytes;
  let windowStartAt = lastByteAt;
  const timer = setInterval(
    () => {
      if (request.raw.complete || socket.destroyed) return stop();
      const now = Date.now();
      const bytes = socket.bytesRead;
      if (bytes !== lastBytes) {
        lastBytes = bytes;
        lastByteAt = now;
      }
      let reason: string | undefined;
      if (now - lastByteAt >= idleMs) {
        reason = `no byte of the body arrived for ${idleMs / 1000} s (INGEST_BODY_IDLE_TIMEOUT)`;
      } else if (now - windowStartAt >= idleMs) {
        const windowBytes = bytes - windowStartBytes;
        if (windowBytes < minWindowBytes) {
          reason =
            `the body arrived at ${formatBytes(Math.round((windowBytes * 1000) / (now - windowStartAt)))}/s, ` +
            `below the minimum of ${formatBytes(limits.minUploadBytesPerSecond)}/s (INGEST_MIN_UPLOAD_RATE)`;
        }
        windowStartBytes = bytes;
        windowStartAt = now;
      }
      if (reason === undefined) return;
      stop();
      tooSlow(
        new IngestError('UPLOAD_TOO_SLOW', `upload refused: ${reason}`, {
          option: 'INGEST_BODY_IDLE_TIMEOUT',
        }),
      );
    },
    // A quarter of the timeout: the refusal comes at most 25% late; never more often than every 50 ms.
    Math.max(50, Math.min(1000, idleMs / 4)),
  );
  timer.unref();
  function stop(): void {
    clearInterval(timer);
  }
  return stop;
}
