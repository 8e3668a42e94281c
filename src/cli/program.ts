import { Command, Option } from 'commander';
import { type DialectOverrides, ON_ERROR_POLICIES } from '../domain/index.js';
import { LIMITS } from '../limits.js';
import { formatBytes } from '../units.js';
import { registerKeyCommands } from './commands/api-keys.js';
import { registerAuditCommands } from './commands/audits.js';
import { registerBackupCommands } from './commands/backup.js';
import { dbStartCommand, dbStatusCommand, dbStopCommand, migrateCommand } from './commands/database.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { exportCommand } from './commands/export-file.js';
import { ingestFilesCommand } from './commands/ingest-files.js';
import { registerJobCommands } from './commands/jobs.js';
import { registerLifecycleCommands } from './commands/lifecycle.js';
import { filesCommand } from './commands/list-files.js';
import { registerMemberCommands } from './commands/members.js';
import { registerOrganizationCommands } from './commands/organizations.js';
import { registerReadCommands } from './commands/read-data.js';
import { serveCommand } from './commands/serve.js';
import { metricsCommand } from './commands/show-metrics.js';
import { parseCharacterOption, parseIntegerOption, parseSizeOption } from './option-parsers.js';
import { EXIT } from './output.js';

/** The dialect options given on the command line (commander sets `header` true unless --no-header). */
function dialectOverrides(options: Record<string, unknown>): DialectOverrides {
  const overrides: DialectOverrides = {};
  for (const key of [
    'delimiter',
    'quote',
    'escape',
    'comment',
    'headerRow',
    'skipRows',
    'encoding',
  ] as const) {
    if (options[key] !== undefined) Object.assign(overrides, { [key]: options[key] });
  }
  if (options.header === false) overrides.header = false;
  return overrides;
}

/**
 * The `ingest` command line. Each action resolves to an exit code (see EXIT) so main() can close
 * everything before the process exits.
 */
export function buildProgram(signal: AbortSignal, setExitCode: (code: number) => void): Command {
  const program = new Command('ingest')
    .description(
      'Load CSV files into PostgreSQL: originals kept once (SHA-256), gzip row-aligned chunks loaded with COPY, ' +
        'and per-file and per-column metrics in analytics.metrics.\n\n' +
        'Without DATABASE_URL, an embedded PostgreSQL under INGEST_HOME (default ~/.ingest) is used.',
    )
    .version('0.1.0')
    // Program options (--org, --json...) belong to the default ingest command; subcommands have their own.
    .enablePositionalOptions()
    .argument('[files...]', 'CSV files to ingest (plain or gzip-compressed), or s3://bucket/key objects')
    .option('--org <slug>', 'organization to ingest into (created on first use)')
    .option('--audit <name>', 'file the uploads under this audit (a named group; created on first use)')
    .option('--json', 'print one JSON object per file on stdout')
    .addOption(
      new Option(
        '--on-error <policy>',
        'bad rows: strict fails the file, skip records them and goes on, lenient keeps ragged rows ' +
          '(short ones padded, extra fields in the last column) and records each repair',
      ).choices(ON_ERROR_POLICIES),
    )
    .option(
      '--delimiter <char>',
      'field delimiter instead of the sniffed one (tab: "tab")',
      parseCharacterOption,
    )
    .option('--quote <char>', 'quote character instead of the sniffed one (" or \')', parseCharacterOption)
    .option(
      '--escape <char>',
      'escape for a quote inside quotes, e.g. \\ (default: the quote doubled)',
      parseCharacterOption,
    )
    .option('--comment <char>', 'lines starting with this are not records, e.g. #', parseCharacterOption)
    .option('--no-header', 'the first record is data; columns are named column_1, column_2, ...')
    .option(
      '--header-row <n>',
      '1-based line of the header; the lines before it are skipped',
      parseIntegerOption(1, 1_000_000),
    )
    .option(
      '--skip-rows <n>',
      'lines to skip before the table (a preamble)',
      parseIntegerOption(0, 1_000_000),
    )
    .addOption(
      new Option('--encoding <name>', 'text encoding instead of the detected one').choices([
        'utf-8',
        'windows-1252',
        'utf-16le',
        'utf-16be',
      ]),
    )
    .option(
      '--max-errors <n>',
      'with skip: fail the file when more than n rows are rejected (implies --on-error skip)',
      parseIntegerOption(0, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--chunk-size <size>',
      `target raw bytes per chunk, e.g. 1MB (${formatBytes(LIMITS.chunkBytes.min)}-${formatBytes(LIMITS.chunkBytes.max)}, default ${formatBytes(LIMITS.chunkBytes.default)})`,
      parseSizeOption,
    )
    .option(
      '--max-record-size <size>',
      `largest single record accepted (default ${formatBytes(LIMITS.maxRecordBytes.default)})`,
      parseSizeOption,
    )
    .option(
      '--workers <n>',
      'worker threads (default: one per core)',
      parseIntegerOption(LIMITS.workers.min, LIMITS.workers.max),
    )
    .option(
      '--gzip-level <n>',
      `gzip level of chunk payloads, 1-9 (default ${LIMITS.gzipLevel.default})`,
      parseIntegerOption(1, 9),
    )
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run ingest --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  ingest data.csv --org acme                 ingest one file
  ingest a.csv b.csv.gz --org acme --json    several files, JSON lines on stdout
  ingest big.csv --org acme --on-error skip --max-errors 100
  ingest files --org acme                    list the organization's files
  ingest export <fileId> -o copy.csv         rebuild a file (byte-identical for UTF-8 input)
  ingest rows <fileId> --offset 1000         a page of rows (--json, --csv)
  ingest export <fileId> --format parquet -o data.parquet
  ingest materialize <fileId> --table sales.orders   a typed table for SQL
  ingest s3://bucket/data.csv --org acme     ingest an object from a bucket
  ingest archive --org acme --older-than 90d move old files' chunks to the object store
  ingest key create --org acme --scopes files:read,files:write
  ingest member add ana@example.com --org acme --role admin   invite by email
  ingest org create client1 --parent agency  a client organization of an agency
  ingest serve --port 8080                   the HTTP API

Exit codes: 0 all files ingested, 1 a file failed, 2 usage error, 130 interrupted.
Environment: DATABASE_URL, INGEST_HOME, INGEST_LOG_LEVEL, INGEST_S3_BUCKET (see README).`,
    )
    .action(async (files: string[], options) => {
      if (files.length === 0) {
        program.help({ error: true });
      }
      if (!options.org) program.error('error: required option --org <slug> not specified', { exitCode: 2 });
      setExitCode(
        await ingestFilesCommand(
          files,
          {
            org: options.org,
            audit: options.audit,
            json: options.json,
            onError: options.onError,
            dialect: dialectOverrides(options),
            maxErrors: options.maxErrors,
            chunkSize: options.chunkSize,
            maxRecordSize: options.maxRecordSize,
            workers: options.workers,
            gzipLevel: options.gzipLevel,
            verbose: options.verbose,
          },
          signal,
        ),
      );
    });

  program
    .command('export')
    .description('rebuild a file from its chunks (to stdout, or -o path)')
    .argument('<fileId>', 'file id, as printed by ingest or ingest files')
    .option(
      '-o, --output <path>',
      'write here instead of stdout (atomically: a failed export leaves no file)',
    )
    .option('--normalize', 'write the parsed records as RFC 4180 CSV (comma, " quoting, header first, UTF-8)')
    .option('--original', 'write the stored original bytes as uploaded (from the object store)')
    .addOption(
      new Option('--format <format>', 'csv, or parquet: typed columns from the inferred types')
        .choices(['csv', 'parquet'])
        .default('csv'),
    )
    .option(
      '--offset <n>',
      'start at this row (0-based), as ingest rows does; the output is normalized CSV or Parquet',
      parseIntegerOption(0, Number.MAX_SAFE_INTEGER),
    )
    .option('--limit <n>', 'at most n rows', parseIntegerOption(0, Number.MAX_SAFE_INTEGER))
    .option('--columns <a,b>', 'only these columns, in this order')
    .action(async (fileId: string, options) => exportCommand(fileId, options));

  program
    .command('files')
    .description("list an organization's files, newest first")
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'one JSON object per file')
    .option('--limit <n>', 'at most n files', parseIntegerOption(1, 100_000), 100)
    .action(async (options) => filesCommand(options));

  program
    .command('metrics')
    .description("show a file's metrics: file level, then per column")
    .argument('<fileId>', 'file id')
    .option('--json', 'as JSON')
    .action(async (fileId: string, options) => metricsCommand(fileId, options));

  registerOrganizationCommands(program);
  registerReadCommands(program);
  registerLifecycleCommands(program);
  registerKeyCommands(program);
  registerMemberCommands(program);
  registerAuditCommands(program);

  program
    .command('serve')
    .description('run the HTTP API (POST /v1/files and the rest; see README, "HTTP API") until SIGTERM')
    .option('--port <n>', 'TCP port (0: any free port)', parseIntegerOption(0, 65_535), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option(
      '--grace <seconds>',
      'at shutdown, wait this long for in-flight requests before aborting uploads',
      parseIntegerOption(0, 3600),
      30,
    )
    .option('--no-worker', 'do not run jobs in this process (API-only node; run `ingest worker` elsewhere)')
    .option('--concurrency <n>', 'jobs the in-process worker runs at once', parseIntegerOption(1, 64), 2)
    .addHelpText(
      'after',
      `
Environment (besides DATABASE_URL and the rest of the CLI's):
  INGEST_LOG_LEVEL         log level of the JSON lines on stderr, one per request (default info)
  INGEST_MAX_UPLOAD_BYTES  largest upload accepted (default 10GB)
  INGEST_READ_CACHE_SIZE   memory for cached metrics and listing answers (default 256MB; 0: off)
  INGEST_S3_IMPORT_BUCKETS buckets POST /v1/files/import may read, comma-separated; each organization
                           imports only keys under <its slug>/ (default: none)
  INGEST_AUTH_FAILURES_PER_MINUTE  failed authentications per client address before 429 (default 30; 0: off)
  INGEST_MAX_UPLOADS_PER_ORG       uploads in flight per organization on this process (default 16)
  INGEST_MAX_UPLOADS_PER_KEY       uploads in flight per API key on this process (default 8)
  INGEST_SPOOL_BYTES_PER_ORG       spool bytes per organization on this process (default 2x max upload)
  INGEST_BODY_IDLE_TIMEOUT         an upload body idle this long is cut with 408 (default 30s)
  INGEST_MIN_UPLOAD_RATE           an upload body slower than this is cut with 408 (default 1KB/s)
  INGEST_RECOVERY_INTERVAL         how often to recover what dead processes left (default 60s)
  INGEST_METRICS_PORT              serve GET /metrics on a listener of its own (default: none)
  INGEST_METRICS_HOST              address of that listener (default 127.0.0.1)
  INGEST_METRICS_TOKEN             serve GET /metrics on the API port to this bearer token (default: not served)
  INGEST_SLOW_STATEMENT            record statements slower than this for logs.slow_queries (default 500ms; 0: off)
  INGEST_ASYNC_THRESHOLD           uploads larger than this run as jobs: 202 + Location (default 256MB)
  INGEST_JOB_HEARTBEAT             a worker silent this long loses its job to another (default 30s)
  INGEST_AUTH_ISSUER               sign-in: the identity provider's issuer; unset: only API keys authenticate
  INGEST_AUTH_AUDIENCE             sign-in: the audience tokens must carry
  INGEST_AUTH_JWKS_URL             sign-in: the provider's keys (default <issuer>/.well-known/jwks.json)
  INGEST_AUTH_CLOCK_TOLERANCE      sign-in: seconds of clock skew allowed on exp and nbf (default 30)
  INGEST_MAX_MEMBERS, INGEST_MAX_INVITATIONS, INGEST_MAX_CLIENTS, INGEST_MAX_API_KEYS: per-organization
                                   bounds on people, clients and keys (README, Configuration)
  INGEST_MAX_COLUMNS, INGEST_MAX_HEADER_BYTES, INGEST_MAX_METRIC_ROWS, INGEST_MAX_INFLATED_BYTES,
  INGEST_MAX_INFLATION_RATIO, INGEST_INFLATION_RATIO_FLOOR: what one file may cost (README, Configuration)`,
    )
    .action(
      async (options: {
        port: number;
        host: string;
        grace: number;
        worker: boolean;
        concurrency: number;
      }) => {
        await serveCommand(options, signal);
        setExitCode(EXIT.ok);
      },
    );
  registerJobCommands(program, signal, setExitCode);

  const db = program
    .command('db')
    .description('manage the embedded PostgreSQL (used when DATABASE_URL is unset)');
  db.command('start')
    .description('start it and leave it running; later commands reuse it')
    .option('--json', 'as JSON')
    .action(async (options) => dbStartCommand(options));
  db.command('stop')
    .description('stop a server left running by db start')
    .action(async () => dbStopCommand());
  db.command('status')
    .description('is it running, where, on which port')
    .option('--json', 'as JSON')
    .action(async (options) => dbStatusCommand(options));

  program
    .command('migrate')
    .description('apply pending database migrations (other commands do this automatically)')
    .action(async () => migrateCommand());

  registerBackupCommands(program, setExitCode);
  registerDoctorCommand(program, setExitCode);

  return program;
}
