/**
 * An ArrayBuffer holding exactly `bytes`, to transfer to or from a worker thread. A Buffer that owns its
 * whole ArrayBuffer gives it up as is; one sharing memory (Node's pool, a slice of a larger read) is
 * copied, since transferring would detach the other users' bytes and move more than the view.
 */
export function transferableBuffer(bytes: Buffer): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
