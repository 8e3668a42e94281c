import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renameColumns } from '../src/chunker/header.js';
import { openChunks } from '../src/chunker/index.js';
import { IngestError } from '../src/errors.js';

const OPTIONS = { chunkBytes: 1024, maxRecordBytes: 1024 * 1024 };
const open = (csv: string) => openChunks(Readable.from([Buffer.from(csv)]), OPTIONS);

async function failure(csv: string): Promise<IngestError> {
  const error = await open(csv).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(IngestError);
  return error as IngestError;
}

describe('chunker: header', () => {
  it('renames empty and duplicate names deterministically', async () => {
    const { header } = await open('a,,a,b,a\n1,2,3,4,5\n');
    expect(header.originalNames).toEqual(['a', '', 'a', 'b', 'a']);
    expect(header.names).toEqual(['a', 'column_2', 'a_2', 'b', 'a_3']);
  });

  it('skips suffixes the header already uses', () => {
    expect(renameColumns(['a', 'a', 'a_2'])).toEqual(['a', 'a_3', 'a_2']);
    expect(renameColumns(['column_2', ''])).toEqual(['column_2', 'column_2_2']);
    expect(renameColumns(['', '', ''])).toEqual(['column_1', 'column_2', 'column_3']);
    expect(renameColumns(['x', 'x', 'x', 'x_3'])).toEqual(['x', 'x_2', 'x_4', 'x_3']);
  });

  it('unquotes names and keeps delimiters, escaped quotes and newlines inside them', async () => {
    const { header, dialect } = await open('"a;b";"say ""hi""";"two\r\nlines"\r\n1;2;3\r\n');
    expect(dialect.delimiter).toBe(';');
    expect(header.names).toEqual(['a;b', 'say "hi"', 'two\r\nlines']);
    expect(header.lines).toBe(2);
    expect(header.raw.toString()).toBe('"a;b";"say ""hi""";"two\r\nlines"\r\n');
  });

  it('counts the lines of a header without a line ending', async () => {
    const { header } = await open('a,"b\nc"');
    expect(header.names).toEqual(['a', 'b\nc']);
    expect(header.lines).toBe(2);
  });

  it('fails a header with an unclosed quote with UNCLOSED_QUOTE on line 1', async () => {
    const error = await failure('id,"name\n1,Ann\n2,Bob\n');
    expect(error.code).toBe('UNCLOSED_QUOTE');
    expect(error.context.line).toBe(1);
  });

  it('fails a header with text after a closing quote with INVALID_QUOTE', async () => {
    const error = await failure('id,"name"x,city\n1,Ann,Oslo\n');
    expect(error.code).toBe('INVALID_QUOTE');
    expect(error.context.line).toBe(1);
  });
});

/** The renaming as first written (quadratic on repeated names): the reference the linear one must match. */
function quadraticRenameColumns(originalNames: readonly string[]): string[] {
  const named = originalNames.map((name, i) => (name === '' ? `column_${i + 1}` : name));
  const taken = new Set(named);
  const seen = new Set<string>();
  return named.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let suffix = 2;
    while (taken.has(`${name}_${suffix}`)) suffix++;
    const renamed = `${name}_${suffix}`;
    taken.add(renamed);
    seen.add(renamed);
    return renamed;
  });
}

describe('chunker: header renames are linear', () => {
  it('gives the same names as the quadratic search on small headers', () => {
    // Few distinct bases, and names that look like renamed ones, so collisions are the common case.
    const name = fc.oneof(
      fc.constantFrom('', 'a', 'b', 'column_2', 'column_3'),
      fc
        .tuple(fc.constantFrom('a', 'b', 'a_2', 'column_1'), fc.integer({ min: 1, max: 6 }))
        .map(([base, n]) => `${base}_${n}`),
    );
    fc.assert(
      fc.property(fc.array(name, { maxLength: 40 }), (names) => {
        expect(renameColumns(names)).toEqual(quadraticRenameColumns(names));
      }),
      { numRuns: 2000 },
    );
  });

  // Quadratic renaming took about 30 s for 20,000 names, so 200,000 would run for most of an hour and
  // time the test out; linear renaming takes tens of milliseconds.
  it('renames one name repeated 200,000 times', () => {
    const names = new Array<string>(200_000).fill('a');
    const renamed = renameColumns(names);
    expect(renamed[0]).toBe('a');
    expect(renamed[199_999]).toBe('a_200000');
    expect(new Set(renamed).size).toBe(200_000);
  });
});
