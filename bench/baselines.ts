/**
 * What users would run instead of ingest, raced on the same file in the same run:
 * - COPY ... FROM STDIN (FORMAT csv) through pg-copy-streams: what `psql \copy` does, without psql;
 * - `psql -c "\copy ..."` itself, when psql is on PATH;
 * - the naive loop: csv-parse stream -> 1000-row multi-row INSERT batches, one autocommit statement each.
 *
 * All load into typed, logged tables in a `bench` schema that the run creates and drops, so the
 * comparison includes the type conversions and WAL a real load pays (ingest stores text, typed later).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { FIXTURE_COLUMNS } from './fixture-columns.js';
import { time } from './measure.js';

export const BENCH_SCHEMA = 'bench';
/** A batch size many hand-written loaders use; 1000 rows x 12 columns stays under the 65535-parameter cap. */
const INSERT_BATCH_ROWS = 1000;
const READ_CHUNK_BYTES = 1024 * 1024;
const INSERT_WARMUP_BYTES = 512 * 1024;

const COLUMN_LIST = FIXTURE_COLUMNS.map((c) => c.name).join(', ');

export interface BaselineResult {
  name: 'copy' | 'psql' | 'insert';
  label: string;
  seconds: number;
  /** Bytes actually loaded (a slice for the INSERT loop). */
  bytes: number;
  rows: number;
  /** True when `seconds` was scaled up from a slice to the whole file. */
  extrapolated: boolean;
  /** For an extrapolated result: the measured seconds and bytes of the slice. */
  slice?: { seconds: number; bytes: number; rows: number };
}

export async function createBenchSchema(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
}

export async function dropBenchSchema(pool: pg.Pool): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`);
}

/** A fresh typed table; dropped and recreated so every run starts from an empty, unbloated table. */
async function freshTable(pool: pg.Pool, table: string): Promise<string> {
  const qualified = `${BENCH_SCHEMA}.${table}`;
  await pool.query(`DROP TABLE IF EXISTS ${qualified}`);
  await pool.query(
    `CREATE TABLE ${qualified} (${FIXTURE_COLUMNS.map((c) => `${c.name} ${c.sqlType}`).join(', ')})`,
  );
  return qualified;
}

async function countRows(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

/** COPY FROM STDIN (FORMAT csv, HEADER true) of the raw file: PostgreSQL's own fastest text load. */
export async function copyBaseline(
  pool: pg.Pool,
  file: { path: string; bytes: number },
): Promise<BaselineResult> {
  const table = await freshTable(pool, 'copy_csv');
  const client = await pool.connect();
  try {
    const { seconds } = await time(() =>
      pipeline(
        createReadStream(file.path, { highWaterMark: READ_CHUNK_BYTES }),
        client.query(copyFrom(`COPY ${table} (${COLUMN_LIST}) FROM STDIN (FORMAT csv, HEADER true)`)),
      ),
    );
    return {
      name: 'copy',
      label: 'COPY FROM STDIN (pg-copy-streams)',
      seconds,
      bytes: file.bytes,
      rows: await countRows(pool, table),
      extrapolated: false,
    };
  } finally {
    client.release();
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** Whether `psql` can be started; the psql baseline is skipped (and said so) when it cannot. */
export async function psqlAvailable(): Promise<boolean> {
  try {
    await runProcess('psql', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** `psql -c "\copy ..."` against the same server: the command users actually type. */
export async function psqlBaseline(
  pool: pg.Pool,
  connectionString: string,
  file: { path: string; bytes: number },
): Promise<BaselineResult> {
  const table = await freshTable(pool, 'psql_csv');
  try {
    const literal = `'${file.path.replaceAll("'", "''")}'`;
    const { seconds } = await time(() =>
      runProcess('psql', [
        '--no-psqlrc',
        '--quiet',
        '--set',
        'ON_ERROR_STOP=1',
        '--dbname',
        connectionString,
        '--command',
        `\\copy ${table} (${COLUMN_LIST}) FROM ${literal} WITH (FORMAT csv, HEADER true)`,
      ]),
    );
    return {
      name: 'psql',
      label: 'psql \\copy',
      seconds,
      bytes: file.bytes,
      rows: await countRows(pool, table),
      extrapolated: false,
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

/**
 * The naive loader on the first `sliceBytes` of the file (whole records only), extrapolated to the whole
 * file by bytes: it is linear, and running it on 100 MB would dominate the benchmark's run time.
 */
export async function insertBaseline(
  pool: pg.Pool,
  file: { path: string; bytes: number },
  sliceBytes: number,
): Promise<BaselineResult> {
  const table = await freshTable(pool, 'insert_csv');
  try {
    // Untimed warm-up (JIT, connections), as the ingest gets one: on a 2 MB slice it was ~30% of the time.
    await naiveInsertLoop(pool, table, file.path, INSERT_WARMUP_BYTES);
    await pool.query(`TRUNCATE ${table}`);
    const { value, seconds } = await time(() => naiveInsertLoop(pool, table, file.path, sliceBytes));
    const scale = file.bytes / value.bytes;
    return {
      name: 'insert',
      label: `csv-parse + ${INSERT_BATCH_ROWS}-row INSERTs (${formatSlice(value.bytes)} slice, extrapolated)`,
      seconds: seconds * scale,
      bytes: file.bytes,
      rows: Math.round(value.rows * scale),
      extrapolated: true,
      slice: { seconds, bytes: value.bytes, rows: value.rows },
    };
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  }
}

function formatSlice(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** Written the way such loops usually are: parse, batch, await each INSERT in turn, no transaction. */
async function naiveInsertLoop(
  pool: pg.Pool,
  table: string,
  path: string,
  sliceBytes: number,
): Promise<{ rows: number; bytes: number }> {
  // info: true snapshots the byte offset per record; parser.info runs ahead by whatever is buffered.
  const parser = parse({ from_line: 2, info: true });
  const input = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  input.pipe(parser);
  let batch: (string | null)[][] = [];
  let rows = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const values: (string | null)[] = [];
    const tuples = batch.map((record) => {
      const start = values.length;
      // COPY csv reads an unquoted empty field as NULL; do the same so both tables hold the same data.
      for (const field of record) values.push(field === '' ? null : field);
      return `(${record.map((_, i) => `$${start + i + 1}`).join(', ')})`;
    });
    await pool.query(`INSERT INTO ${table} (${COLUMN_LIST}) VALUES ${tuples.join(', ')}`, values);
    rows += batch.length;
    batch = [];
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { bytes: number };
    }>) {
      batch.push(record);
      if (batch.length >= INSERT_BATCH_ROWS) await flush();
      // Input consumed up to the end of this record, header included.
      bytes = info.bytes;
      if (bytes >= sliceBytes) break;
    }
    await flush();
  } finally {
    input.destroy();
    parser.destroy();
  }
  return { rows, bytes };
}

/** Runs a command without blocking the event loop; rejects with its stderr when it fails. */
function runProcess(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (stderr.length < 4096) stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
    });
  });
}
