import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type ChunkSource, openChunks } from '../src/chunker/index.js';

const OPTIONS = { chunkBytes: 1024, maxRecordBytes: 1024 * 1024 };

async function sniff(input: string | Buffer): Promise<{ source: ChunkSource; body: string }> {
  const source = await openChunks(Readable.from([Buffer.from(input)]), OPTIONS);
  const chunks: Buffer[] = [];
  for await (const chunk of source.chunks) chunks.push(chunk.bytes);
  return { source, body: Buffer.concat(chunks).toString('utf8') };
}

describe('chunker: dialect sniffing', () => {
  it.each([
    [',', 'id,name,city\n1,Ann,Oslo\n2,Bob,Rome\n'],
    [';', 'id;name;city\n1;Ann;Oslo\n2;Bob;Rome\n'],
    ['\t', 'id\tname\tcity\n1\tAnn\tOslo\n2\tBob\tRome\n'],
    ['|', 'id|name|city\n1|Ann|Oslo\n2|Bob|Rome\n'],
  ])('detects %j as the delimiter', async (delimiter, csv) => {
    const { source, body } = await sniff(csv);
    expect(source.dialect).toEqual({
      delimiter,
      quote: '"',
      lineEnding: '\n',
      bom: false,
      encoding: 'utf-8',
      compression: 'none',
    });
    expect(source.header.names).toEqual(['id', 'name', 'city']);
    expect(body).toBe(csv.slice(csv.indexOf('\n') + 1));
  });

  it('is not fooled by commas inside quoted fields of a semicolon file', async () => {
    const csv = await readFile(
      new URL('../fixtures/chunker/semicolon-commas-in-quotes.csv', import.meta.url),
    );
    const { source } = await sniff(csv);
    expect(source.dialect.delimiter).toBe(';');
    expect(source.header.names).toEqual(['name, full', 'city, country, region', 'amount']);
  });

  it('decides by consistency over records, not by the first line', async () => {
    // The header alone has more commas than semicolons; the records disagree with the commas.
    const { source } = await sniff('a,b;c,d;e\n1;2;3\n4;5;6\n7;8;9\n');
    expect(source.dialect.delimiter).toBe(';');
    expect(source.header.names).toEqual(['a,b', 'c,d', 'e']);
  });

  it('prefers more fields, then the order , ; TAB | when consistency ties', async () => {
    expect((await sniff('a,b;c;d\n1,2;3;4\n')).source.dialect.delimiter).toBe(';');
    expect((await sniff('a,b;c\n1,2;3\n')).source.dialect.delimiter).toBe(',');
  });

  it('reads a one-column file with , as the delimiter', async () => {
    const { source, body } = await sniff('email\na@example.com\nb@example.com\n');
    expect(source.dialect.delimiter).toBe(',');
    expect(source.header.names).toEqual(['email']);
    expect(body).toBe('a@example.com\nb@example.com\n');
  });

  it('takes the line ending from the header record', async () => {
    const { source, body } = await sniff('a,b\r\n1,2\r\n3,4\n');
    expect(source.dialect.lineEnding).toBe('\r\n');
    expect(source.header.raw.toString()).toBe('a,b\r\n');
    expect(body).toBe('1,2\r\n3,4\n');
  });

  it('strips a UTF-8 BOM from the header and records it in the dialect', async () => {
    const { source, body } = await sniff(Buffer.from('\ufeffa;b\r\n1;2\r\n'));
    expect(source.dialect).toMatchObject({
      bom: true,
      encoding: 'utf-8',
      delimiter: ';',
      lineEnding: '\r\n',
    });
    expect(source.header.names).toEqual(['a', 'b']);
    expect(source.header.raw.toString()).toBe('a;b\r\n');
    expect(body).toBe('1;2\r\n');
  });

  it('accepts a header-only file, with or without a line ending', async () => {
    for (const csv of ['a|b|c\n', 'a|b|c']) {
      const { source, body } = await sniff(csv);
      expect(source.dialect.delimiter).toBe('|');
      expect(source.dialect.lineEnding).toBe('\n');
      expect(source.header.names).toEqual(['a', 'b', 'c']);
      expect(source.header.raw.toString()).toBe(csv);
      expect(body).toBe('');
    }
  });

  it('keeps a last record without a trailing newline', async () => {
    const { body } = await sniff('a\tb\n1\t2\n3\t4');
    expect(body).toBe('1\t2\n3\t4');
  });

  it('keeps blank lines before the header in header.raw so nothing is lost', async () => {
    const { source, body } = await sniff('\r\n\na,b\n1,2\n');
    expect(source.header.raw.toString()).toBe('\r\n\na,b\n');
    expect(source.header.lines).toBe(3);
    expect(source.header.names).toEqual(['a', 'b']);
    expect(body).toBe('1,2\n');
  });

  it('sniffs records that are longer than the sample', async () => {
    const long = 'x'.repeat(100 * 1024);
    const { source, body } = await sniff(`a;b\n"${long}";1\n2;3\n`);
    expect(source.dialect.delimiter).toBe(';');
    expect(body).toBe(`"${long}";1\n2;3\n`);
  });

  it('reads a header that is longer than the sample', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `column_name_${i}`);
    const { source, body } = await sniff(`${names.join(';')}\n${names.map((_, i) => i).join(';')}\n`);
    expect(source.dialect.delimiter).toBe(';');
    expect(source.header.names).toEqual(names);
    expect(body.split(';')).toHaveLength(20_000);
  });
});
