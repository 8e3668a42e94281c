import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { IngestError } from '../../errors.js';
import { logger } from '../../logger.js';
import { createBackup, restoreBackup } from '../../operations/index.js';
import { EXIT, printJson } from '../output.js';
import { withOperatorConnection } from './operator-connection.js';

export interface BackupCommandOptions {
  out: string;
  objects?: 'copy' | 'manifest';
  json?: boolean;
}

/** `ingest backup --out <dir>`: the database (pg_dump) and the objects, in one new folder. */
export async function backupCommand(options: BackupCommandOptions): Promise<void> {
  await withOperatorConnection(async ({ config, connectionString, pool, store }) => {
    const outDir = resolve(options.out);
    const manifest = await createBackup({
      pool,
      connectionString,
      store,
      outDir,
      // The bytes of a local store would be lost with the machine; a bucket keeps its own (versioning,
      // replication), so by default only its keys are listed.
      objects: options.objects ?? (config.s3 ? 'manifest' : 'copy'),
      ...(config.pgBinDir && { pgBin: config.pgBinDir }),
      log: logger,
    });
    const summary = {
      out: outDir,
      server: manifest.server,
      pgDump: manifest.pgDump,
      schemas: manifest.schemas,
      objects: manifest.objects.items.length,
      objectMode: manifest.objects.mode,
      objectBytes: manifest.objects.items.reduce((sum, o) => sum + o.size, 0),
      missingObjects: manifest.objects.missing.length,
    };
    if (options.json) printJson(summary);
    else {
      process.stdout.write(
        `backup written to ${outDir}: schemas ${summary.schemas.join(', ')}; ${summary.objects} objects (${summary.objectMode})` +
          `${summary.missingObjects ? `; ${summary.missingObjects} deleted while it ran` : ''}\n`,
      );
    }
  });
}

/** `ingest backup restore <dir>`: into the configured database (created if missing, refused if not empty). */
export async function restoreCommand(dir: string, options: { json?: boolean }): Promise<boolean> {
  return withOperatorConnection(async ({ config, connectionString, store }) => {
    const result = await restoreBackup({
      dir: resolve(dir),
      connectionString,
      store,
      ...(config.pgBinDir && { pgBin: config.pgBinDir }),
      log: logger,
    });
    if (options.json) printJson(result);
    else {
      process.stdout.write(
        `restored ${result.schemas.join(', ')} and ${result.objects} objects` +
          `${result.migrationsApplied.length ? `; then applied ${result.migrationsApplied.join(', ')}` : ''}\n`,
      );
      if (result.missingObjects.length)
        process.stdout.write(
          `${result.missingObjects.length} objects missing: ${result.missingObjects.slice(0, 5).join(', ')}\n`,
        );
    }
    return result.missingObjects.length === 0;
  });
}

/** `ingest backup --out <dir>` and `ingest backup restore <dir>`. */
export function registerBackupCommands(program: Command, setExitCode: (code: number) => void): void {
  const backup = program
    .command('backup')
    .description(
      "back up ingest's database (pg_dump of its schemas, one snapshot) and its objects into a new folder",
    )
    // Not a required option: commander would then demand it of `backup restore` too.
    .option('--out <dir>', 'a new or empty folder to write the backup into (required)')
    .addOption(
      new Option(
        '--objects <mode>',
        'copy: the objects go into the backup (default for a local store); manifest: only their keys and SHA-256 (default for S3)',
      ).choices(['copy', 'manifest']),
    )
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      `
Needs pg_dump and pg_restore of the server's major version (e.g. postgresql-client-15); set INGEST_PG_BIN
to their folder if they are not in /usr/lib/postgresql/<major>/bin or on PATH.

Examples:
  ingest backup --out /backups/ingest-$(date +%F)
  DATABASE_URL=postgres://.../ingest_new ingest backup restore /backups/ingest-2026-01-31`,
    )
    .action(async (options: Partial<BackupCommandOptions>) => {
      if (!options.out)
        throw new IngestError('INVALID_OPTION', 'ingest backup needs --out <dir>', { option: '--out' });
      await backupCommand({ ...options, out: options.out });
      setExitCode(EXIT.ok);
    });
  backup
    .command('restore <dir>')
    .description(
      'restore a backup into the configured database (created if missing; refused if it holds ingest already) and object store',
    )
    .option('--json', 'print a JSON summary')
    .action(async (dir: string, options: { json?: boolean }) => {
      setExitCode((await restoreCommand(dir, options)) ? EXIT.ok : EXIT.failed);
    });
}
