import { readdir, readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastParseRecords } from '../src/workers/fast-record-parser.js';
import { parseChunk } from '../src/workers/parse-chunk.js';
import { RECORD_DELIMITERS } from '../src/workers/record-parser.js';

type Delimiter = ',' | ';' | '\t' | '|';
const DELIMITERS: Delimiter[] = [',', ';', '\t', '|'];

/** The reference: csv-parse with the options the pipeline uses. */
function reference(text: string, delimiter: string, columnCount: number): string[][] {
  return parse(text, {
    delimiter,
    quote: '"',
    escape: '"',
    record_delimiter: RECORD_DELIMITERS,
    relax_column_count: true,
    skip_empty_lines: columnCount > 1,
  });
}

function fast(text: string, delimiter: string, columnCount: number): string[][] | null {
  const records: string[][] = [];
  return fastParseRecords(text, delimiter, columnCount, 1 << 30, (f) => records.push(f)) ? records : null;
}

/** Fields drawn from the characters that matter to CSV, plus multi-byte text. */
const field = fc.stringMatching(/^[a-z ,;|\t"\r\né😀]{0,8}$/u);

function encodeTable(
  rows: string[][],
  delimiter: string,
  endings: string[],
  trailing: boolean,
  quoteAll: boolean,
): string {
  const quote = (f: string) =>
    quoteAll || f.includes(delimiter) || f.includes('"') || f.includes('\n') || f.includes('\r') || f === ''
      ? `"${f.replaceAll('"', '""')}"`
      : f;
  const lines = rows.map((r) => r.map(quote).join(delimiter));
  let text = '';
  lines.forEach((l, i) => {
    text += l;
    if (i < lines.length - 1 || trailing) text += endings[i % endings.length];
  });
  return text;
}

const table = fc.integer({ min: 1, max: 6 }).chain((cols) =>
  fc.record({
    cols: fc.constant(cols),
    rows: fc.array(fc.array(field, { minLength: cols, maxLength: cols }), { minLength: 1, maxLength: 25 }),
    delimiter: fc.constantFrom(...DELIMITERS),
    endings: fc.array(fc.constantFrom('\n', '\r\n'), { minLength: 1, maxLength: 3 }),
    trailing: fc.boolean(),
    quoteAll: fc.boolean(),
  }),
);

describe('fast parser vs csv-parse', () => {
  it('agrees on well-formed tables and takes the fast path for them', () => {
    fc.assert(
      fc.property(table, (t) => {
        const text = encodeTable(t.rows, t.delimiter, t.endings, t.trailing, t.quoteAll);
        const expected = reference(text, t.delimiter, t.cols);
        const got = fast(text, t.delimiter, t.cols);
        // Every record of a well-formed multi-column table has the header's width, so no fallback.
        if (t.cols > 1) expect(got).not.toBeNull();
        if (got) expect(got).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });

  it('never accepts text csv-parse would reject or read differently (mutated and arbitrary input)', () => {
    const noise = fc.stringMatching(/^[ab,;"\r\n ]{0,60}$/);
    fc.assert(
      fc.property(
        noise,
        fc.constantFrom(...DELIMITERS),
        fc.integer({ min: 1, max: 4 }),
        (text, delimiter, cols) => {
          const got = fast(text, delimiter, cols);
          if (got === null) return;
          const expected = reference(text, delimiter, cols);
          expect(got).toEqual(expected);
          for (const r of expected) expect(r).toHaveLength(cols);
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('gives identical chunk results (records, statistics, errors, lines) to the csv-parse path', () => {
    const mutated = fc.tuple(
      table,
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('"', ',', '\n', '\r', '\0', 'x', '\xff')), {
        maxLength: 3,
      }),
    );
    fc.assert(
      fc.property(
        mutated,
        fc.constantFrom('strict', 'skip') as fc.Arbitrary<'strict' | 'skip'>,
        ([t, edits], onError) => {
          let text = encodeTable(t.rows, t.delimiter, t.endings, t.trailing, t.quoteAll);
          for (const [at, ch] of edits) {
            const i = text.length ? at % text.length : 0;
            text = text.slice(0, i) + ch + text.slice(i);
          }
          // \xff as a single byte makes invalid UTF-8.
          const bytes = encodeWithRawBytes(text);
          const task = { delimiter: t.delimiter, columnCount: t.cols, onError, maxRecordBytes: 1 << 20 };
          expect(parseChunk(bytes, task)).toEqual(parseChunk(bytes, task, { reference: true }));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('agrees on every fixture', async () => {
    const files = (await readdir('fixtures')).filter((f) => f.endsWith('.csv'));
    expect(files.length).toBeGreaterThan(3);
    for (const name of files) {
      const bytes = await readFile(`fixtures/${name}`);
      const body = bytes.subarray(bytes.indexOf(0x0a) + 1);
      const delimiter = name.includes('semicolon') ? ';' : ',';
      const cols = reference(
        bytes
          .toString('utf8')
          .replace(/^\uFEFF/, '')
          .split(/\r?\n/)[0]!,
        delimiter,
        1,
      )[0]!.length;
      for (const onError of ['strict', 'skip'] as const) {
        const task = {
          delimiter: delimiter as Delimiter,
          columnCount: cols,
          onError,
          maxRecordBytes: 1 << 20,
        };
        expect(parseChunk(body, task), name).toEqual(parseChunk(body, task, { reference: true }));
      }
    }
  });

  it('matches csv-parse on the cases that need care', () => {
    const cases: [string, number][] = [
      ['a,b\r\nc,d\ne,f\r\n', 2],
      ['a\rb,c\n', 2],
      ['a,b\r', 2],
      ['a,\n', 2],
      ['a,', 2],
      ['"a""b",c\n', 2],
      ['"",""\n', 2],
      ['a\n\nb\n', 1],
      ['a,b\n\n\r\nc,d', 2],
      ['"x\r\ny",z\r\n', 2],
    ];
    for (const [text, cols] of cases)
      expect(fast(text, ',', cols), JSON.stringify(text)).toEqual(reference(text, ',', cols));
    for (const bad of ['"open,b\n', 'a"b,c\n', '"x"y,c\n', ' "x",c\n', '"x" ,c\n', 'a,b,c\n', '"a"\r']) {
      expect(fast(bad, ',', 2), JSON.stringify(bad)).toBeNull();
    }
  });
});

/** UTF-8, except that U+00FF stands for a lone 0xFF byte (never valid UTF-8). */
function encodeWithRawBytes(text: string): Buffer {
  return Buffer.concat(
    text
      .split('\xff')
      .flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])),
  );
}
