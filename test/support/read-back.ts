import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';

/**
 * An independent reading of a CSV file: Python's csv module (not csv-parse, which ingest uses), plus the
 * epoch microseconds of one timestamp column by Python's datetime (a value without an offset is UTC).
 */
export interface PythonReading {
  header: string[];
  /** Records with as many fields as the header: what ingest accepts in skip mode. */
  rows: string[][];
  /** First line (1-based) and raw text of each record with another field count. */
  ragged: { line: number; fields: number }[];
  /** Per accepted row, the timestamp column's value in microseconds since the epoch (null when empty). */
  micros: (string | null)[];
}

const SCRIPT = `
import csv, json, sys
from datetime import datetime, timezone
path, ts_col = sys.argv[1], sys.argv[2]
f = open(path, newline='', encoding='utf-8-sig')
r = csv.reader(f)
header = next(r)
rows, ragged, micros = [], [], []
prev = r.line_num
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
for rec in r:
    start = prev + 1
    prev = r.line_num
    if len(rec) != len(header):
        ragged.append({'line': start, 'fields': len(rec)})
        continue
    rows.append(rec)
    v = rec[header.index(ts_col)] if ts_col in header else ''
    if v == '':
        micros.append(None)
    else:
        dt = datetime.fromisoformat(v)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        d = dt - epoch
        micros.append(str((d.days * 86400 + d.seconds) * 1000000 + d.microseconds))
json.dump({'header': header, 'rows': rows, 'ragged': ragged, 'micros': micros}, sys.stdout)
`;

export function readWithPython(path: string, timestampColumn = 'at'): PythonReading {
  const out = execFileSync('python3', ['-c', SCRIPT, path, timestampColumn], { maxBuffer: 1 << 30 });
  return JSON.parse(out.toString('utf8')) as PythonReading;
}

/** Python's reading of CSV text (a response body), header included. */
export function parseCsvWithPython(text: string): string[][] {
  const out = execFileSync(
    'python3',
    [
      '-c',
      'import csv, json, sys, io; json.dump(list(csv.reader(io.StringIO(sys.stdin.read(), newline=""))), sys.stdout)',
    ],
    { input: text, maxBuffer: 1 << 30 },
  );
  return JSON.parse(out.toString('utf8')) as string[][];
}

const NAMES = [
  'Ada Lovelace',
  'Grace "Amazing" Hopper',
  'Hopper, Grace',
  'two\nlines',
  'crlf\r\ninside',
  'Émile Zola',
  '',
  '  spaced  ',
];
const ZONES = ['Z', '+02:00', '-05:30', '', ''];

/**
 * A deterministic CSV of `rows` rows: id (integer), name (text with quotes, commas, quoted LF and CRLF,
 * non-ASCII, empty), amount (decimal), paid (boolean words), day (date), at (timestamps in several
 * spellings), region (text). With `raggedEvery`, every n-th record has a field too many or too few.
 */
export async function writeReadBackCsv(
  path: string,
  rows: number,
  raggedEvery = 0,
  crlfInQuotes = true,
): Promise<void> {
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  let text = 'id,name,amount,paid,day,at,region\n';
  for (let i = 0; i < rows; i++) {
    const id = i + 1;
    const name = crlfInQuotes ? NAMES[i % NAMES.length]! : NAMES[i % NAMES.length]!.replace('\r\n', '\n');
    const cents = ((i * 7919) % 200_000) - 50_000;
    const amount = `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
    const paid = ['yes', 'no', 'true', 'false', 'Y', 'f'][i % 6]!;
    const month = (i % 12) + 1;
    const dayOfMonth = (i % 28) + 1;
    const day = `20${String(10 + (i % 15))}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
    const zone = ZONES[i % ZONES.length]!;
    const sep = i % 3 === 0 ? ' ' : 'T';
    const fraction = i % 4 === 0 ? `.${String((i * 12_345) % 1_000_000).padStart(6, '0')}` : '';
    const at = `${day}${sep}${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}${fraction}${zone}`;
    const region = i % 10 === 0 ? '' : ['north', 'south', 'east', 'west'][i % 4]!;
    const fields = [String(id), quote(name), amount, paid, day, at, region];
    if (raggedEvery > 0 && i % raggedEvery === raggedEvery - 1) {
      if (i % 2 === 0) fields.push('extra');
      else fields.pop();
    }
    text += `${fields.join(',')}\n`;
  }
  await writeFile(path, text);
}
