import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChunks } from '../src/chunker/index.js';
import { recordSyntaxOf } from '../src/domain/index.js';
import { parseRecords } from '../src/workers/parse-chunk.js';

/**
 * Generated variants of the messy corpus: a clean table (a text column, then number columns), written as
 * CSV, then one pollution applied. Read with the lenient policy and no other option, through the chunker
 * (small chunks, so records cross chunk boundaries) and the chunk parser, the result is the table a person
 * reads: the clean one, with the polluted row padded or joined where the pollution touched a row.
 */
const word = fc.stringMatching(/^[a-z]{1,8}$/);
const number = fc.integer({ min: 0, max: 99_999 }).map(String);

const tableArb = fc
  .record({ columns: fc.integer({ min: 2, max: 6 }), rows: fc.integer({ min: 4, max: 30 }) })
  .chain(({ columns, rows }) =>
    fc.record({
      names: fc
        .uniqueArray(word, { minLength: columns, maxLength: columns })
        .map((n) => n.map((x) => `${x}_c`)),
      rows: fc.array(fc.tuple(word, fc.array(number, { minLength: columns - 1, maxLength: columns - 1 })), {
        minLength: rows,
        maxLength: rows,
      }),
    }),
  )
  .map(({ names, rows }) => ({ names, rows: rows.map(([w, ns]) => [w, ...ns]) }));

type Pollution =
  | { kind: 'short-row'; row: number }
  | { kind: 'extra-field'; row: number }
  | { kind: 'preamble' }
  | { kind: 'comments' }
  | { kind: 'cr-only' }
  | { kind: 'single-quotes' }
  | { kind: 'padded-delimiters' };

const pollutionArb: fc.Arbitrary<Pollution> = fc.oneof(
  fc.nat().map((row) => ({ kind: 'short-row' as const, row })),
  fc.nat().map((row) => ({ kind: 'extra-field' as const, row })),
  fc.constant({ kind: 'preamble' as const }),
  fc.constant({ kind: 'comments' as const }),
  fc.constant({ kind: 'cr-only' as const }),
  fc.constant({ kind: 'single-quotes' as const }),
  fc.constant({ kind: 'padded-delimiters' as const }),
);

/** The polluted file, and the table a person reads in it. */
function pollute(
  table: { names: string[]; rows: string[][] },
  p: Pollution,
): { csv: string; expected: string[][] } {
  const rows = table.rows.map((r) => [...r]);
  const expected = [table.names, ...rows.map((r) => [...r])];
  let lines = [table.names.join(','), ...rows.map((r) => r.join(','))];
  switch (p.kind) {
    case 'short-row': {
      const i = p.row % rows.length;
      lines[i + 1] = rows[i]!.slice(0, -1).join(',');
      expected[i + 1]![rows[i]!.length - 1] = '';
      break;
    }
    case 'extra-field': {
      const i = p.row % rows.length;
      lines[i + 1] = [...rows[i]!, 'extra'].join(',');
      const last = expected[i + 1]!.length - 1;
      expected[i + 1]![last] = `${expected[i + 1]![last]},extra`;
      break;
    }
    case 'preamble':
      lines = ['Report generated 2026-01-01', '', ...lines];
      break;
    case 'comments':
      lines = ['# exported by a tool', ...lines.slice(0, 2), '# a note', ...lines.slice(2)];
      break;
    case 'cr-only':
      return { csv: `${lines.join('\r')}\r`, expected };
    case 'single-quotes':
      lines = [table.names.join(','), ...rows.map((r) => [`'${r[0]}, x'`, ...r.slice(1)].join(','))];
      for (const r of expected.slice(1)) r[0] = `${r[0]}, x`;
      break;
    case 'padded-delimiters':
      lines = lines.map((l) => l.replaceAll(',', ', '));
      break;
  }
  return { csv: `${lines.join('\n')}\n`, expected };
}

async function readLenient(csv: string): Promise<string[][]> {
  const source = await openChunks(Readable.from([Buffer.from(csv)]), {
    chunkBytes: 64 * 1024,
    maxRecordBytes: 1 << 20,
    lenient: true,
  });
  const table = [source.header.names];
  const syntax = recordSyntaxOf(source.dialect);
  for await (const chunk of source.chunks) {
    const rows: string[][] = [];
    parseRecords(
      chunk.bytes,
      {
        delimiter: source.dialect.delimiter,
        syntax,
        columnCount: source.header.names.length,
        onError: 'lenient',
        maxRecordBytes: 1 << 20,
      },
      { add: (fields) => rows.push(fields), reset: () => rows.splice(0) },
    );
    table.push(...rows);
  }
  return table;
}

describe('generated pollutions of clean tables, read leniently with no other option', () => {
  it('recover the table a person reads', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, pollutionArb, async (table, pollution) => {
        const { csv, expected } = pollute(table, pollution);
        expect(await readLenient(csv)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
