import type { Command } from 'commander';
import { getOrganization } from '../../db/index.js';
import { archiveFiles, deleteFile, restoreFile } from '../../ingest/index.js';
import { formatBytes } from '../../units.js';
import { cliActor, fileOrganizationId, withServices } from '../context.js';
import { parseDurationOption } from '../option-parsers.js';
import { printJson } from '../output.js';

/** `ingest delete`, `ingest archive` and `ingest restore`: a file's life after ingest. */
export function registerLifecycleCommands(program: Command): void {
  program
    .command('delete')
    .description('delete a file: its row, chunks, metrics, stored original and archive')
    .argument('<fileId>', 'file id')
    .option('--json', 'as JSON')
    .action(async (fileId: string, options: { json?: boolean }) =>
      withServices(async (services) => {
        const organizationId = await fileOrganizationId(services, fileId);
        const result = await deleteFile(services.pool, services.store, organizationId, fileId, {
          name: cliActor(),
        });
        if (options.json) printJson(result);
        else process.stdout.write(`deleted file ${fileId} and its stored original\n`);
      }),
    );

  program
    .command('archive')
    .description(
      "move old files' chunks out of PostgreSQL into one object per file; they stay readable (export, metrics)",
    )
    .requiredOption('--org <slug>', 'organization')
    .requiredOption(
      '--older-than <duration>',
      'archive ready files finished longer ago than this, e.g. 90d, 12h, 0s (all)',
      parseDurationOption,
    )
    .option('--json', 'as JSON')
    .action(async (options: { org: string; olderThan: number; json?: boolean }) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const result = await archiveFiles(services, org, options.olderThan, { name: cliActor() });
        if (options.json) {
          printJson({ organization: org.slug, ...result });
          return;
        }
        for (const f of result.archived)
          process.stdout.write(
            `archived ${f.fileId}: ${f.chunks} chunks, ${formatBytes(f.bytes)} in ${f.key}\n`,
          );
        for (const s of result.skipped) process.stdout.write(`skipped ${s.fileId}: ${s.reason}\n`);
        process.stdout.write(
          `archived ${result.archived.length} file(s) of ${org.slug}${result.skipped.length ? `, skipped ${result.skipped.length}` : ''}\n`,
        );
      }),
    );

  program
    .command('restore')
    .description("bring an archived file's chunks back into PostgreSQL and delete its archive object")
    .argument('<fileId>', 'file id')
    .option('--json', 'as JSON')
    .action(async (fileId: string, options: { json?: boolean }) =>
      withServices(async (services) => {
        const id = await fileOrganizationId(services, fileId);
        const result = await restoreFile(services, { id }, fileId, { name: cliActor() });
        if (options.json) printJson(result);
        else if (result.restored)
          process.stdout.write(`restored file ${fileId}: ${result.chunks} chunks back in PostgreSQL\n`);
        else process.stdout.write(`file ${fileId} is not archived; nothing to do\n`);
      }),
    );
}
