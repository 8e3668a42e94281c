import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChunks } from '../src/chunker/index.js';
import type { Delimiter } from '../src/domain/index.js';

/**
 * The row-alignment invariant: whatever the table and however the input arrives, the chunks reproduce the
 * input exactly, each chunk parses alone, and the chunks' records are the whole body's records.
 */

const DELIMITERS: readonly Delimiter[] = [',', ';', '\t', '|'];
/** Anything that forces quoting under any candidate delimiter. */
const NEEDS_QUOTES = /[,;\t|"\r\n]/;

const plainChar = fc.constantFrom(...'abcxyz019 -_.');
const specialChar = fc.constantFrom(
  ',',
  ';',
  '\t',
  '|',
  '"',
  '""',
  '\r',
  '\n',
  '\r\n',
  '😀',
  'é',
  '€',
  '中',
  '\u00a0',
);
const anyChar = fc
  .integer({ min: 0x20, max: 0x10ffff })
  .filter((cp) => cp < 0xd800 || cp > 0xdfff)
  .map((cp) => String.fromCodePoint(cp));
const char = fc.oneof(
  { arbitrary: plainChar, weight: 5 },
  { arbitrary: specialChar, weight: 3 },
  { arbitrary: anyChar, weight: 1 },
);

type FieldStyle = 'auto' | 'quoted' | 'stray-quote';
const field = fc.record({
  value: fc.string({ unit: char, maxLength: 12 }),
  style: fc.constantFrom<FieldStyle>('auto', 'auto', 'auto', 'quoted', 'stray-quote'),
});

const table = fc
  .record({
    delimiter: fc.constantFrom(...DELIMITERS),
    columns: fc.integer({ min: 2, max: 5 }),
    trailingNewline: fc.boolean(),
    headerCrlf: fc.boolean(),
  })
  .chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      rows: fc.array(
        fc.record({
          fields: fc.array(field, { minLength: shape.columns, maxLength: shape.columns }),
          crlf: fc.boolean(),
        }),
        { maxLength: 15 },
      ),
    }),
  );

/** Encodes one field; returns its CSV text and the value csv-parse (relax_quotes) reads back. */
function encodeField(value: string, style: FieldStyle): { text: string; value: string } {
  if (style === 'quoted' || NEEDS_QUOTES.test(value)) {
    return { text: `"${value.replaceAll('"', '""')}"`, value };
  }
  const chars = [...value];
  if (style === 'stray-quote' && chars.length > 0) {
    // A quote inside an unquoted field is a literal, not the start of a quoted field.
    const stray = `${chars[0]}"${chars.slice(1).join('')}`;
    return { text: stray, value: stray };
  }
  return { text: value, value };
}

function chunkInput(bytes: Buffer, sizes: number[]): Buffer[] {
  const buffers: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    buffers.push(bytes.subarray(at, at + size));
    at += size;
  }
  return buffers;
}

const parseOptions = (delimiter: Delimiter) => ({
  delimiter,
  record_delimiter: ['\r\n', '\n'],
  relax_column_count: true,
  relax_quotes: true,
});

describe('chunker: row-aligned split', () => {
  it('never splits inside a quoted field, whatever the buffer and chunk sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        table,
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 200 }),
        async ({ shape, rows }, bufferSizes, chunkBytes) => {
          const { delimiter, columns } = shape;
          const header = Array.from({ length: columns }, (_, i) => `h${i}`).join(delimiter);
          const encoded = rows.map((row) => row.fields.map((f) => encodeField(f.value, f.style)));
          let text = header + (shape.headerCrlf ? '\r\n' : '\n');
          encoded.forEach((fields, i) => {
            const last = i === encoded.length - 1;
            const ending = rows[i]!.crlf ? '\r\n' : '\n';
            text +=
              fields.map((f) => f.text).join(delimiter) + (last && !shape.trailingNewline ? '' : ending);
          });
          const input = Buffer.from(text, 'utf8');

          const source = await openChunks(Readable.from(chunkInput(input, bufferSizes)), {
            chunkBytes,
            maxRecordBytes: 1 << 30,
          });
          const chunks: Buffer[] = [];
          for await (const chunk of source.chunks) {
            expect(chunk.index).toBe(chunks.length);
            chunks.push(chunk.bytes);
          }

          expect(source.dialect.delimiter).toBe(delimiter);
          expect(source.dialect.lineEnding).toBe(shape.headerCrlf ? '\r\n' : '\n');
          // (a) header + chunks reproduce the input byte for byte
          expect(Buffer.concat([source.header.raw, ...chunks]).equals(input)).toBe(true);

          // (b) each chunk parses alone, and together they give the whole body's records
          const body = Buffer.concat(chunks);
          const whole = parse(body, parseOptions(delimiter));
          expect(whole).toEqual(encoded.map((fields) => fields.map((f) => f.value)));
          const pieces = chunks.flatMap((chunk) => parse(chunk, parseOptions(delimiter)));
          expect(pieces).toEqual(whole);

          // (c) every chunk but the last is at least chunkBytes and ends right after a record's LF
          chunks.forEach((chunk, i) => {
            expect(chunk.length).toBeGreaterThan(0);
            if (i === chunks.length - 1) return;
            expect(chunk.length).toBeGreaterThanOrEqual(chunkBytes);
            expect(chunk[chunk.length - 1]).toBe(0x0a);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives every chunk its own memory, so it can be moved to a worker', async () => {
    const body = 'x,"a\nb"\n'.repeat(50);
    const source = await openChunks(Readable.from([Buffer.from(`h1,h2\n${body}`)]), {
      chunkBytes: 64,
      maxRecordBytes: 1024,
    });
    for await (const { bytes } of source.chunks) {
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
  });
});
