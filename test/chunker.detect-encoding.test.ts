import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type ChunkSource, openChunks } from '../src/chunker/index.js';
import { IngestError } from '../src/errors.js';

const OPTIONS = { chunkBytes: 1024, maxRecordBytes: 1024 * 1024 };
const fixture = (name: string) => readFile(new URL(`../fixtures/chunker/${name}`, import.meta.url));

async function openAll(buffers: Buffer[]): Promise<{ source: ChunkSource; text: string }> {
  const source = await openChunks(Readable.from(buffers), OPTIONS);
  const chunks: Buffer[] = [source.header.raw];
  for await (const chunk of source.chunks) chunks.push(chunk.bytes);
  return { source, text: Buffer.concat(chunks).toString('utf8') };
}

async function failure(buffers: Buffer[]): Promise<IngestError> {
  const error = await openAll(buffers).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(IngestError);
  return error as IngestError;
}

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces. */
function noise(length: number, seed = 0x9e3779b9): Buffer {
  const bytes = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Splits into buffers of `size` bytes, so multi-byte characters straddle buffer boundaries. */
function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

describe('chunker: encoding and compression detection', () => {
  it('transcodes windows-1252 to UTF-8', async () => {
    const { source, text } = await openAll([Buffer.from([0x6e, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a])]);
    expect(source.dialect.encoding).toBe('windows-1252');
    expect(text).toBe('n\ncafé\n');
  });

  it('transcodes a windows-1252 fixture with the euro sign, byte by byte', async () => {
    const bytes = await fixture('cafe-windows-1252.csv');
    const { source, text } = await openAll(pieces(bytes, 1));
    expect(source.dialect).toMatchObject({ encoding: 'windows-1252', delimiter: ';', bom: false });
    expect(text).toBe('product;price\ncafé;2,50 €\ncrème brûlée;6,00 €\n');
  });

  it('transcodes UTF-16LE with a BOM, even with code units split across buffers', async () => {
    const bytes = await fixture('utf16le-bom.csv');
    const { source, text } = await openAll(pieces(bytes, 3));
    expect(source.dialect).toMatchObject({ encoding: 'utf-16le', bom: false, delimiter: ',' });
    expect(source.header.names).toEqual(['name', 'city']);
    expect(text).toBe('name,city\nZoë,Zürich\n');
  });

  it('transcodes UTF-16BE with a BOM, including characters outside the BMP', async () => {
    const utf16be = Buffer.from('a;b\n😀;é\n', 'utf16le').swap16();
    const { source, text } = await openAll([Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be])]);
    expect(source.dialect.encoding).toBe('utf-16be');
    expect(text).toBe('a;b\n😀;é\n');
  });

  it('reads ASCII-heavy UTF-16LE without a BOM instead of calling it binary', async () => {
    const { source, text } = await openAll([Buffer.from('id,name\n1,Ann\n', 'utf16le')]);
    expect(source.dialect.encoding).toBe('utf-16le');
    expect(text).toBe('id,name\n1,Ann\n');
  });

  it('decompresses gzip and detects again on the decompressed bytes', async () => {
    const csv = 'a,b\n1,"x\ny"\n'.repeat(5000);
    const { source, text } = await openAll(pieces(gzipSync(Buffer.from(csv)), 4096));
    expect(source.dialect).toMatchObject({ compression: 'gzip', encoding: 'utf-8', delimiter: ',' });
    expect(text).toBe(csv);
  });

  it('decompresses gzip of windows-1252 text', async () => {
    const { source, text } = await openAll([gzipSync(await fixture('cafe-windows-1252.csv'))]);
    expect(source.dialect).toMatchObject({ compression: 'gzip', encoding: 'windows-1252' });
    expect(text).toContain('crème brûlée');
  });

  it('keeps UTF-8 untouched when the sample ends inside a multi-byte character', async () => {
    // The first buffer is exactly one sample long and ends with half of a 4-byte emoji.
    const csv = Buffer.from(`a,b\n${'x,y\n'.repeat(16382)}z,😀\n`);
    const first = 64 * 1024;
    expect(csv.subarray(first - 2, first + 2).toString()).toBe('😀');
    const { source, text } = await openAll([csv.subarray(0, first), csv.subarray(first)]);
    expect(source.dialect.encoding).toBe('utf-8');
    expect(text).toBe(csv.toString());
  });

  it('reads windows-1252 whose last byte is an accented letter', async () => {
    const { source, text } = await openAll([Buffer.from([0x6e, 0x0a, 0x63, 0x61, 0x66, 0xe9])]);
    expect(source.dialect.encoding).toBe('windows-1252');
    expect(text).toBe('n\ncafé');
  });

  it('keeps a UTF-8 file whose last character is cut off as UTF-8, for the row parser to report', async () => {
    const bytes = Buffer.from('name\nZoë\n😀');
    const { source } = await openAll([bytes.subarray(0, bytes.length - 1)]);
    expect(source.dialect.encoding).toBe('utf-8');
  });

  it('keeps a UTF-8 file with one damaged byte as UTF-8, for the row parser to report the line', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,café\n'), Buffer.from([0x33, 0x2c, 0xe9, 0x0a])]);
    const { source } = await openAll([bytes]);
    expect(source.dialect.encoding).toBe('utf-8');
  });

  it('reads text whose high bytes all stand alone as windows-1252, even beside one UTF-8-looking pair', async () => {
    // "Ã©" (C3 A9) once, then four lone accented letters: windows-1252 text, not damaged UTF-8.
    const bytes = Buffer.from('n\nMÃ©lanie\ncaf\xe9,na\xefve,\xfcber,s\xf8\n', 'latin1');
    const { source, text } = await openAll([bytes]);
    expect(source.dialect.encoding).toBe('windows-1252');
    expect(text).toContain('café');
  });

  it('lets a single NUL byte through to the row parser', async () => {
    const { source, text } = await openAll([Buffer.from('a,b\n1,x\u0000y\n')]);
    expect(source.dialect.encoding).toBe('utf-8');
    expect(text).toBe('a,b\n1,x\u0000y\n');
  });

  it.each([
    [
      'a PNG image',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise(2000)]),
    ],
    ['a ZIP archive (.xlsx)', Buffer.concat([Buffer.from('PK\x03\x04'), noise(2000)])],
    ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n')],
    ['random bytes', noise(100_000)],
    ['text with many NUL bytes', Buffer.from('a,b\n'.repeat(100).replaceAll('b', '\u0000'))],
  ])('rejects %s as NOT_CSV', async (_name, bytes) => {
    expect((await failure([bytes])).code).toBe('NOT_CSV');
  });

  it('rejects corrupt gzip data as NOT_CSV', async () => {
    const gz = gzipSync(Buffer.from('a,b\n1,2\n'.repeat(1000)));
    const corrupt = Buffer.concat([gz.subarray(0, 20), Buffer.alloc(200, 0xff)]);
    expect((await failure([corrupt])).code).toBe('NOT_CSV');
  });

  it('rejects truncated gzip data as NOT_CSV', async () => {
    const gz = gzipSync(Buffer.from('a,b\n1,2\n'.repeat(1000)));
    expect((await failure([gz.subarray(0, gz.length - 12)])).code).toBe('NOT_CSV');
  });

  it.each([
    ['no bytes', Buffer.alloc(0)],
    ['only line endings', Buffer.from('\n\r\n\n')],
    ['only white space', Buffer.from('  \t\n  \r\n')],
    ['a UTF-8 BOM and nothing else', Buffer.from([0xef, 0xbb, 0xbf])],
    ['gzip of nothing', gzipSync(Buffer.alloc(0))],
  ])('rejects %s as EMPTY_FILE', async (_name, bytes) => {
    expect((await failure([bytes])).code).toBe('EMPTY_FILE');
  });

  it('rejects bytes that windows-1252 does not define as UNSUPPORTED_ENCODING, naming the line', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,2\ncaf'), Buffer.from([0xe9, 0x81, 0x0a])]);
    const error = await failure([bytes]);
    expect(error.code).toBe('UNSUPPORTED_ENCODING');
    expect(error.context.line).toBe(3);
    expect(error.message).toContain('line 3');
  });

  it('rejects Cyrillic windows-1251 text as UNSUPPORTED_ENCODING rather than guessing', async () => {
    // Cyrillic names and cities in windows-1251: runs of non-ASCII bytes, none undefined in windows-1252.
    const cp1251 = Buffer.from(
      'e8ecff3be3eef0eee40ac0ede5e03bcceef1eae2e00ac8e2e0ed3bcff0e0e3e00ad1e5f0e3e5e93bcaeee5e1e2ede0e40a',
      'hex',
    );
    expect((await failure([cp1251])).code).toBe('UNSUPPORTED_ENCODING');
  });
});
