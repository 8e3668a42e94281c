import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChunks } from '../src/chunker/index.js';
import { type RecordSyntax, recordSyntaxOf } from '../src/domain/index.js';
import { parseRecords } from '../src/workers/parse-chunk.js';

/**
 * The splitter and the chunk parsers honour the quote, escape and comment characters: a file in any of
 * these syntaxes, cut into chunks as small as the splitter allows, parses to the same records as the
 * table it was written from, in every policy (quoted fields hold delimiters, quotes, escapes and line feeds
 * that would split a record if any part read them as RFC 4180).
 */
const SYNTAXES: RecordSyntax[] = [
  { delimiter: ',', quote: "'", escape: "'", comment: '', skipInitialSpace: false },
  { delimiter: ';', quote: '"', escape: '\\', comment: '', skipInitialSpace: false },
  { delimiter: '\t', quote: '"', escape: '"', comment: '#', skipInitialSpace: false },
  { delimiter: '|', quote: "'", escape: '\\', comment: '#', skipInitialSpace: false },
];

const cellArb = fc.stringMatching(/^[a-z0-9 ,;|'"\\\n#\t]{0,12}$/);

function writeField(value: string, s: RecordSyntax): string {
  const escaped =
    s.escape === s.quote
      ? value.replaceAll(s.quote, s.quote + s.quote)
      : value.replaceAll(s.escape, s.escape + s.escape).replaceAll(s.quote, s.escape + s.quote);
  return `${s.quote}${escaped}${s.quote}`;
}

describe('chunker and parsers: dialect overrides never split a record wrong', () => {
  it('any table in a given syntax, in tiny chunks, reads back as written', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SYNTAXES),
        fc
          .integer({ min: 2, max: 4 })
          .chain((n) =>
            fc.array(fc.array(cellArb, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 30 }),
          ),
        fc.constantFrom('strict', 'skip', 'lenient' as const),
        async (syntax, rows, onError) => {
          const names = rows[0]!.map((_, i) => `c${i}`);
          const lines = [names.join(syntax.delimiter)];
          if (syntax.comment) lines.push(`${syntax.comment} a comment ${syntax.quote} with a quote`);
          for (const r of rows) lines.push(r.map((v) => writeField(v, syntax)).join(syntax.delimiter));
          const csv = `${lines.join('\n')}\n`;
          const source = await openChunks(Readable.from([Buffer.from(csv)]), {
            chunkBytes: 1,
            maxRecordBytes: 1 << 20,
            overrides: {
              delimiter: syntax.delimiter,
              quote: syntax.quote,
              escape: syntax.escape,
              comment: syntax.comment || '',
            },
          });
          expect(recordSyntaxOf(source.dialect)).toEqual(syntax);
          const read: string[][] = [];
          for await (const chunk of source.chunks) {
            const records: string[][] = [];
            const parsed = parseRecords(
              chunk.bytes,
              {
                delimiter: syntax.delimiter,
                syntax: recordSyntaxOf(source.dialect),
                columnCount: names.length,
                onError,
                maxRecordBytes: 1 << 20,
              },
              { add: (f) => records.push(f), reset: () => records.splice(0) },
            );
            read.push(...records);
            expect(parsed.error).toBeUndefined();
            expect(parsed.rejected).toEqual([]);
          }
          expect(read).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });
});
