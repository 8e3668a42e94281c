import { gzipSync } from 'node:zlib';

/** What an input must give: its exact records, or a coded error (and, with --on-error skip, what remains). */
export type InputExpectation =
  | {
      kind: 'ingested';
      header: string[];
      records: string[][];
      encoding?: string;
      delimiter?: string;
    }
  | {
      kind: 'refused';
      code: string;
      line?: number;
      /** Under --on-error skip: the records kept and the lines rejected with their codes. */
      skip?: { records: string[][]; rejected: { line: number; code: string }[] };
    };

export interface InputCase {
  name: string;
  filename: string;
  bytes: Buffer;
  expect: InputExpectation;
}

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

function wide(columns: number): InputCase {
  const header = Array.from({ length: columns }, (_, i) => `c${i}`);
  const row = Array.from({ length: columns }, (_, i) => String(i * 7));
  return {
    name: `${columns} columns`,
    filename: 'wide.csv',
    bytes: utf8(`${header.join(',')}\n${row.join(',')}\n`),
    expect: { kind: 'ingested', header, records: [row] },
  };
}

function bigField(bytes: number): InputCase {
  const field = 'lorem, "ipsum"\n'.repeat(Math.ceil(bytes / 15)).slice(0, bytes);
  return {
    name: `a ${bytes >> 20} MB field`,
    filename: 'big-field.csv',
    bytes: utf8(`id,body\n1,"${field.replaceAll('"', '""')}"\n2,short\n`),
    expect: {
      kind: 'ingested',
      header: ['id', 'body'],
      records: [
        ['1', field],
        ['2', 'short'],
      ],
    },
  };
}

/**
 * The inputs users upload, each with its expected outcome written out by hand (not computed by the code
 * under test). The CLI test and the HTTP test run the same table.
 */
export const INPUT_CASES: InputCase[] = [
  {
    name: 'UTF-8 with BOM and CRLF',
    filename: 'bom-crlf.csv',
    bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('a,b\r\n1,2\r\n3,4\r\n')]),
    expect: {
      kind: 'ingested',
      header: ['a', 'b'],
      records: [
        ['1', '2'],
        ['3', '4'],
      ],
      encoding: 'utf-8',
    },
  },
  {
    name: 'semicolons with commas inside quotes',
    filename: 'semicolon.csv',
    bytes: utf8('name;note\n"Smith, J.";"a;b"\nLee;x,y\n'),
    expect: {
      kind: 'ingested',
      header: ['name', 'note'],
      records: [
        ['Smith, J.', 'a;b'],
        ['Lee', 'x,y'],
      ],
      delimiter: ';',
    },
  },
  {
    name: 'TAB delimiter',
    filename: 'tab.tsv',
    bytes: utf8('a\tb\tc\n1\t"x\ty"\t3\n4\t5\t6\n'),
    expect: {
      kind: 'ingested',
      header: ['a', 'b', 'c'],
      records: [
        ['1', 'x\ty', '3'],
        ['4', '5', '6'],
      ],
      delimiter: '\t',
    },
  },
  {
    name: 'pipe delimiter',
    filename: 'pipe.csv',
    bytes: utf8('a|b\n1|2\n|x\n'),
    expect: {
      kind: 'ingested',
      header: ['a', 'b'],
      records: [
        ['1', '2'],
        ['', 'x'],
      ],
      delimiter: '|',
    },
  },
  {
    name: 'quoted newlines, "" escapes, no trailing newline',
    filename: 'quoted.csv',
    bytes: utf8('a,b\n"line1\nline2","say ""hi"""\n"crlf\r\ninside",4'),
    expect: {
      kind: 'ingested',
      header: ['a', 'b'],
      records: [
        ['line1\nline2', 'say "hi"'],
        ['crlf\r\ninside', '4'],
      ],
    },
  },
  {
    name: 'one column, with an empty value',
    filename: 'one-column.csv',
    bytes: utf8('name\nalice\n\nbob\n'),
    expect: { kind: 'ingested', header: ['name'], records: [['alice'], [''], ['bob']] },
  },
  wide(2000),
  bigField(5 * 1024 * 1024),
  {
    name: 'Windows-1252 text',
    filename: 'latin.csv',
    bytes: Buffer.from('name,city\nJos\xe9,M\xfcnchen\nRen\xe9e,Caf\xe9 \x80 5\n', 'latin1'),
    expect: {
      kind: 'ingested',
      header: ['name', 'city'],
      records: [
        ['José', 'München'],
        ['Renée', 'Café € 5'],
      ],
      encoding: 'windows-1252',
    },
  },
  {
    name: 'UTF-16LE with BOM',
    filename: 'utf16.csv',
    bytes: Buffer.from('\ufeffa,b\n\u00e9t\u00e9,\u65e5\u672c\n', 'utf16le'),
    expect: { kind: 'ingested', header: ['a', 'b'], records: [['été', '日本']], encoding: 'utf-16le' },
  },
  {
    name: 'gzip-compressed CSV',
    filename: 'data.csv.gz',
    bytes: gzipSync(utf8('a,b\n1,2\n3,4\n')),
    expect: {
      kind: 'ingested',
      header: ['a', 'b'],
      records: [
        ['1', '2'],
        ['3', '4'],
      ],
    },
  },
  {
    name: 'header only',
    filename: 'header-only.csv',
    bytes: utf8('a,b,c\n'),
    expect: { kind: 'ingested', header: ['a', 'b', 'c'], records: [] },
  },
  {
    name: 'duplicate and empty header names',
    filename: 'headers.csv',
    bytes: utf8('name,name,,x\n1,2,3,4\n'),
    expect: {
      kind: 'ingested',
      header: ['name', 'name_2', 'column_3', 'x'],
      records: [['1', '2', '3', '4']],
    },
  },
  {
    name: 'empty file',
    filename: 'empty.csv',
    bytes: Buffer.alloc(0),
    expect: { kind: 'refused', code: 'EMPTY_FILE' },
  },
  {
    name: 'unclosed quote',
    filename: 'unclosed.csv',
    bytes: utf8('a,b\n1,2\n3,"oops\n4,5\n'),
    expect: {
      kind: 'refused',
      code: 'UNCLOSED_QUOTE',
      line: 3,
      skip: { records: [['1', '2']], rejected: [{ line: 3, code: 'UNCLOSED_QUOTE' }] },
    },
  },
  {
    name: 'a row with too many fields',
    filename: 'too-many.csv',
    bytes: utf8('a,b\n1,2\n3,4,5\n6,7\n'),
    expect: {
      kind: 'refused',
      code: 'FIELD_COUNT_MISMATCH',
      line: 3,
      skip: {
        records: [
          ['1', '2'],
          ['6', '7'],
        ],
        rejected: [{ line: 3, code: 'FIELD_COUNT_MISMATCH' }],
      },
    },
  },
  {
    name: 'a row with too few fields',
    filename: 'too-few.csv',
    bytes: utf8('a,b\n1,2\n3\n6,7\n'),
    expect: {
      kind: 'refused',
      code: 'FIELD_COUNT_MISMATCH',
      line: 3,
      skip: {
        records: [
          ['1', '2'],
          ['6', '7'],
        ],
        rejected: [{ line: 3, code: 'FIELD_COUNT_MISMATCH' }],
      },
    },
  },
  {
    name: 'a stray quote inside an unquoted field',
    filename: 'stray-quote.csv',
    bytes: utf8('a,b\n1,2\n3,ab"c\n6,7\n'),
    expect: {
      kind: 'refused',
      code: 'INVALID_QUOTE',
      line: 3,
      skip: {
        records: [
          ['1', '2'],
          ['6', '7'],
        ],
        rejected: [{ line: 3, code: 'INVALID_QUOTE' }],
      },
    },
  },
  {
    name: 'a NUL byte',
    filename: 'nul.csv',
    bytes: utf8('a,b\n1,2\n3,a\0b\n6,7\n'),
    expect: {
      kind: 'refused',
      code: 'NUL_BYTE',
      line: 3,
      skip: {
        records: [
          ['1', '2'],
          ['6', '7'],
        ],
        rejected: [{ line: 3, code: 'NUL_BYTE' }],
      },
    },
  },
  {
    name: 'invalid UTF-8 in the middle of a UTF-8 file',
    filename: 'damaged.csv',
    bytes: Buffer.concat([utf8('a,b\n1,café\n'), Buffer.from('3,caf\xe9\n', 'latin1'), utf8('6,naïve\n')]),
    expect: {
      kind: 'refused',
      code: 'INVALID_UTF8',
      line: 3,
      skip: {
        records: [
          ['1', 'café'],
          ['6', 'naïve'],
        ],
        rejected: [{ line: 3, code: 'INVALID_UTF8' }],
      },
    },
  },
  {
    name: 'a PNG image',
    filename: 'photo.csv',
    bytes: Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(4096, 7)]),
    expect: { kind: 'refused', code: 'NOT_CSV' },
  },
  {
    name: 'a ZIP archive',
    filename: 'export.zip',
    bytes: Buffer.concat([Buffer.from('504b0304140000000800', 'hex'), Buffer.alloc(4096, 0)]),
    expect: { kind: 'refused', code: 'NOT_CSV' },
  },
];
