import type { Command } from 'commander';
import { IngestError } from '../../errors.js';
import { deleteOrganization } from '../../ingest/index.js';
import { withServices } from '../context.js';
import { printJson, table } from '../output.js';

/** `ingest org delete <slug> --yes`: everything of the organization, rows and objects. */
export function registerOrganizationDelete(org: Command): void {
  org
    .command('delete')
    .description('delete an organization and everything it has: rows in every schema, keys, objects')
    .argument(
      '<slug>',
      'organization (or its id, to finish a deletion whose objects could not all be removed)',
    )
    .option('--yes', 'confirm: this cannot be undone')
    .option('--json', 'as JSON')
    .action(async (slug: string, options: { yes?: boolean; json?: boolean }) => {
      if (!options.yes) {
        throw new IngestError(
          'INVALID_OPTION',
          `refusing to delete organization ${JSON.stringify(slug)} and all of its data without --yes`,
          { option: 'yes', organization: slug },
        );
      }
      await withServices(async (services) => {
        const removed = await deleteOrganization(services, slug);
        if (options.json) {
          printJson(removed);
          return;
        }
        const rows = Object.entries(removed.rows).filter(([, n]) => n > 0);
        const aborted = removed.uploadsAborted
          ? `, unfinished uploads aborted: ${removed.uploadsAborted}`
          : '';
        const skipped = removed.uploadsSwept
          ? ''
          : 'unfinished uploads: not looked for, the object store does not implement ListMultipartUploads ' +
            '(its objects are deleted all the same)\n';
        process.stdout.write(
          `deleted organization ${removed.organization} (${removed.organizationId})\n` +
            `${table(['TABLE', 'ROWS'], rows)}\n` +
            `objects: ${removed.objects}${aborted}\n${skipped}`,
        );
      });
    });
}
