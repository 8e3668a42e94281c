import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError } from '../errors.js';

/** pg_dump and pg_restore of one PostgreSQL major version. */
export interface PgClientTools {
  pgDump: string;
  pgRestore: string;
  /** `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` */
  version: string;
}

/** Output kept from a tool for the error message: its last lines are what explains a failure. */
const MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * Where client binaries of major version `major` usually live: INGEST_PG_BIN first, then the layouts of
 * Debian/Ubuntu (postgresql-client-N), RHEL (PGDG) and Homebrew, then PATH.
 */
function candidateDirs(major: number, pgBin: string | undefined): (string | undefined)[] {
  if (pgBin) return [pgBin];
  return [
    `/usr/lib/postgresql/${major}/bin`,
    `/usr/pgsql-${major}/bin`,
    `/opt/homebrew/opt/postgresql@${major}/bin`,
    `/usr/local/opt/postgresql@${major}/bin`,
    undefined, // PATH
  ];
}

/**
 * pg_dump and pg_restore of the server's major version. pg_dump refuses a newer server, and a dump made
 * by a newer pg_dump may use syntax an older server rejects on restore: the same major both ways is
 * what PostgreSQL supports without surprises. BACKUP_FAILED naming what was found otherwise.
 */
export async function findPgClientTools(serverMajor: number, pgBin?: string): Promise<PgClientTools> {
  const seen: string[] = [];
  for (const dir of candidateDirs(serverMajor, pgBin)) {
    const pgDump = dir ? join(dir, 'pg_dump') : 'pg_dump';
    const pgRestore = dir ? join(dir, 'pg_restore') : 'pg_restore';
    if (dir && !(await executable(pgDump))) continue;
    const run = await runTool(pgDump, ['--version'], {}).catch(() => undefined);
    if (run?.code !== 0) continue;
    const version = run.stdout.trim();
    const major = Number(/\(PostgreSQL\)\s+(\d+)/.exec(version)?.[1]);
    seen.push(`${pgDump}: ${version}`);
    if (major === serverMajor) return { pgDump, pgRestore, version };
  }
  throw new IngestError(
    'BACKUP_FAILED',
    `no pg_dump of PostgreSQL ${serverMajor} (the server's major version) found${pgBin ? ` in INGEST_PG_BIN=${pgBin}` : ''}; ${
      seen.length ? `found ${seen.join('; ')}` : 'none found'
    }. Install the PostgreSQL ${serverMajor} client (e.g. apt install postgresql-client-${serverMajor}) or set INGEST_PG_BIN to its bin folder`,
    { option: 'INGEST_PG_BIN' },
  );
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client tool to completion; output is kept (bounded) for the caller's messages. */
export function runTool(file: string, args: string[], env: Record<string, string>): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: { ...process.env, ...env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout = (stdout + b.toString()).slice(-MAX_OUTPUT_CHARS);
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-MAX_OUTPUT_CHARS);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A connection string for a client tool without its password, which goes in PGPASSWORD instead: a
 * password on a command line is visible to every user of the machine (ps).
 */
export function toolConnection(connectionString: string): { dbname: string; env: Record<string, string> } {
  const url = new URL(connectionString);
  const env: Record<string, string> = {};
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env };
}

/** Runs a tool against a database, failing with BACKUP_FAILED and the tool's own words. */
export async function runDatabaseTool(
  file: string,
  args: string[],
  connectionString: string,
): Promise<ToolRun> {
  const { dbname, env } = toolConnection(connectionString);
  const run = await runTool(file, [...args, `--dbname=${dbname}`], env).catch((err: unknown) => {
    throw new IngestError(
      'BACKUP_FAILED',
      `could not run ${file}: ${(err as Error).message}`,
      {},
      { cause: err },
    );
  });
  if (run.code !== 0) {
    throw new IngestError(
      'BACKUP_FAILED',
      `${file} ${args[0] ?? ''} failed (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-5).join(' | ')}`,
    );
  }
  return run;
}
