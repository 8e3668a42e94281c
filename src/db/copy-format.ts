/**
 * PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html, "Binary
 * Format"): an 11-byte signature, a flags word and a header-extension length, then per tuple a 16-bit
 * field count and, per field, a 32-bit length followed by the bytes; a 16-bit -1 ends the data.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export const COPY_HEADER: Buffer = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
export const COPY_TRAILER: Buffer = Buffer.from([0xff, 0xff]);

export type CopyField =
  | { type: 'int4'; value: number }
  | { type: 'int8'; value: bigint }
  | { type: 'bytea'; value: Buffer };

/**
 * Encodes one tuple. The fixed-size fields are written into one small buffer; a bytea value is
 * returned as its own buffer (not copied), so the caller writes `parts` in order.
 */
export function encodeTuple(fields: readonly CopyField[]): Buffer[] {
  const parts: Buffer[] = [];
  let size = 2;
  for (const f of fields) size += 4 + (f.type === 'int4' ? 4 : f.type === 'int8' ? 8 : 0);
  let head = Buffer.allocUnsafe(size);
  head.writeInt16BE(fields.length, 0);
  let offset = 2;
  for (const f of fields) {
    if (f.type === 'int4') {
      head.writeInt32BE(4, offset);
      head.writeInt32BE(f.value, offset + 4);
      offset += 8;
    } else if (f.type === 'int8') {
      head.writeInt32BE(8, offset);
      head.writeBigInt64BE(f.value, offset + 4);
      offset += 12;
    } else {
      head.writeInt32BE(f.value.length, offset);
      offset += 4;
      parts.push(head.subarray(0, offset), f.value);
      head = head.subarray(offset);
      offset = 0;
    }
  }
  if (offset > 0) parts.push(head.subarray(0, offset));
  return parts;
}
