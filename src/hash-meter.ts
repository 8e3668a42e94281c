import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through that hashes (SHA-256) and counts the bytes streaming through it. */
export interface HashMeter {
  transform: Transform;
  /** Bytes seen so far. */
  bytes(): number;
  /** Hex SHA-256 of every byte seen; call once the stream has ended. */
  sha256(): string;
}

/**
 * The SHA-256 and byte count of a stream as it passes: originals are checked this way when stored, read
 * back and received, and archives when read. `check` runs on each piece before it is counted; throwing
 * there fails the stream (a byte limit).
 */
export function createHashMeter(check?: (bytesAfter: number) => void): HashMeter {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const transform = new Transform({
    transform(piece: Buffer, _enc, done) {
      try {
        check?.(bytes + piece.length);
      } catch (err) {
        done(err as Error);
        return;
      }
      bytes += piece.length;
      hash.update(piece);
      done(null, piece);
    },
  });
  return {
    transform,
    bytes: () => bytes,
    sha256: () => {
      digest ??= hash.digest('hex');
      return digest;
    },
  };
}
