import { Readable, Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, IngestError } from '../src/errors.js';
import { exportFile, ingest } from '../src/ingest/index.js';
import { createTestEnvironment, type TestEnvironment } from './support/services.js';

let env: TestEnvironment;
beforeAll(async () => {
  env = await createTestEnvironment();
});
afterAll(async () => {
  await env?.close();
});

const DELIMITERS = [',', ';', '\t', '|'] as const;

interface Table {
  delimiter: (typeof DELIMITERS)[number];
  header: string[];
  rows: string[][];
  crlf: boolean;
  quoteAll: boolean;
  bom: boolean;
  trailingNewline: boolean;
}

/** Cells mix plain text, unicode, quotes, line breaks and the table's own delimiter (never another one). */
function cellArb(delimiter: string): fc.Arbitrary<string> {
  const unit = fc.constantFrom(
    'a',
    'b',
    'Z',
    '7',
    ' ',
    'é',
    '日',
    '😀',
    '"',
    '\n',
    '\r\n',
    delimiter,
    '-',
    '.',
  );
  return fc.array(unit, { maxLength: 8 }).map((units) => units.join(''));
}

const tableArb: fc.Arbitrary<Table> = fc
  .record({
    delimiter: fc.constantFrom(...DELIMITERS),
    columns: fc.integer({ min: 1, max: 6 }),
    rowCount: fc.integer({ min: 1, max: 30 }),
    crlf: fc.boolean(),
    quoteAll: fc.boolean(),
    bom: fc.boolean(),
    trailingNewline: fc.boolean(),
  })
  .chain(({ columns, rowCount, delimiter, ...rest }) =>
    fc.record({
      delimiter: fc.constant(delimiter),
      header: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), {
        minLength: columns,
        maxLength: columns,
      }),
      rows: fc.array(fc.array(cellArb(delimiter), { minLength: columns, maxLength: columns }), {
        minLength: rowCount,
        maxLength: rowCount,
      }),
      crlf: fc.constant(rest.crlf),
      quoteAll: fc.constant(rest.quoteAll),
      bom: fc.constant(rest.bom),
      trailingNewline: fc.constant(rest.trailingNewline),
    }),
  );

/** Writes a table the way spreadsheet exports do, independently of ingest's own CSV writer. */
function serialize(t: Table): Buffer {
  const eol = t.crlf ? '\r\n' : '\n';
  const field = (value: string, single: boolean) => {
    const needs = value.includes('"') || value.includes(t.delimiter) || /[\r\n]/.test(value);
    // A lone empty field is quoted: bare, it would be a blank line.
    return t.quoteAll || needs || (single && value === '') ? `"${value.replaceAll('"', '""')}"` : value;
  };
  const lines = [t.header, ...t.rows].map((r) => r.map((v) => field(v, r.length === 1)).join(t.delimiter));
  const text = lines.join(eol) + (t.trailingNewline ? eol : '');
  return Buffer.concat([t.bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
}

async function normalized(organizationId: string, fileId: string): Promise<string> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      parts.push(chunk);
      done();
    },
  });
  await exportFile(env.services.pool, organizationId, fileId, sink, {
    normalize: true,
    store: env.services.store,
  });
  return Buffer.concat(parts).toString('utf8');
}

describe('property: any table survives ingest and export --normalize unchanged', () => {
  it('for random delimiters, quoting, line endings and unicode', async () => {
    const org = await env.organization('fuzz-tables');
    await fc.assert(
      fc.asyncProperty(tableArb, async (table) => {
        const bytes = serialize(table);
        const result = await ingest(
          env.services,
          { kind: 'stream', stream: Readable.from([bytes]), filename: 'table.csv' },
          { organization: org },
        );
        // One column has no delimiter to find.
        if (table.header.length > 1) expect(result.delimiter).toBe(table.delimiter);
        expect(result.rows).toBe(table.rows.length);
        const [header, ...records] = parse(await normalized(org.id, result.fileId), {
          relax_column_count: true,
        }) as string[][];
        expect(header).toEqual(table.header);
        expect(records).toEqual(table.rows);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});

/** A valid CSV with a few bytes flipped, inserted or removed, favouring the bytes parsers trip on. */
const mutatedArb = fc
  .record({
    base: tableArb.map(serialize),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        kind: fc.constantFrom('flip', 'insert', 'delete'),
        byte: fc.oneof(fc.constantFrom(0x22, 0x0a, 0x0d, 0x00, 0x2c, 0xc3, 0xe9, 0xff, 0x1f), fc.nat(255)),
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ base, edits }) => {
    const bytes = [...base];
    for (const e of edits) {
      const at = bytes.length ? e.at % bytes.length : 0;
      if (e.kind === 'flip') bytes[at] = e.byte;
      else if (e.kind === 'insert') bytes.splice(at, 0, e.byte);
      else bytes.splice(at, 1);
    }
    return Buffer.from(bytes);
  });

const anyInput = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
  mutatedArb,
);

describe('fuzz: random and damaged bytes never crash or hang', () => {
  it.each(['strict', 'skip'] as const)(
    'ends every input in success or a coded error (%s)',
    async (onError) => {
      const org = await env.organization(`fuzz-bytes-${onError}`);
      await fc.assert(
        fc.asyncProperty(anyInput, async (bytes) => {
          const outcome = await Promise.race([
            ingest(
              env.services,
              { kind: 'stream', stream: Readable.from([bytes]), filename: 'fuzz.csv' },
              { organization: org, onError },
            ).then(
              (result) => ({ result }),
              (error: unknown) => ({ error }),
            ),
            new Promise<{ hang: true }>((resolve) =>
              setTimeout(() => resolve({ hang: true }), 15_000).unref(),
            ),
          ]);
          expect(outcome).not.toHaveProperty('hang');
          if ('error' in outcome) {
            expect(outcome.error).toBeInstanceOf(IngestError);
            const code = (outcome.error as IngestError).code;
            expect(Object.keys(ERROR_CODES)).toContain(code);
            expect(code).not.toBe('INTERNAL');
          }
        }),
        { numRuns: 120 },
      );
      const { rows } = await env.admin.query(
        `SELECT status, count(*)::int AS n FROM storage_meta.files WHERE organization_id = $1 GROUP BY status`,
        [org.id],
      );
      // Failed attempts leave nothing; only ready files remain.
      expect(rows.filter((r) => r.status !== 'ready')).toEqual([]);
    },
    180_000,
  );
});
