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

/** Checks a hash meter runs; what they throw fails the stream. */
export interface HashMeterChecks {
  /** Before each piece is counted, with the count it would bring (a byte limit). */
  eachPiece?: (bytesAfter: number) => void;
  /**
   * Once every byte is seen, before the stream ends: a consumer that completes on the end (an upload)
   * never sees the end of a stream that fails here.
   */
  atEnd?: (bytes: number, sha256: string) => void;
}

/**
 * The SHA-256 and byte count of a stream as it passes: originals are checked this way when stored, read
 * back and received, and archives when read.
 */
export function createHashMeter(checks: HashMeterChecks = {}): HashMeter {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const sha256 = () => {
    digest ??= hash.digest('hex');
    return digest;
  };
  const transform = new Transform({
    transform(piece: Buffer, _enc, done) {
      try {
        checks.eachPiece?.(bytes + piece.length);
      } catch (err) {
        done(err as Error);
        return;
      }
      bytes += piece.length;
      hash.update(piece);
      done(null, piece);
    },
    flush(done) {
      try {
        checks.atEnd?.(bytes, sha256());
      } catch (err) {
        done(err as Error);
        return;
      }
      done();
    },
  });
  return { transform, bytes: () => bytes, sha256 };
}
