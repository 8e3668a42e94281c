import type { Command } from 'commander';
import { createOrganization, listOrganizations } from '../../db/index.js';
import { formatBytes } from '../../units.js';
import { withServices } from '../context.js';
import { parseSizeOption } from '../option-parsers.js';
import { printJson, table } from '../output.js';
import { registerOrganizationDelete } from './delete-organization.js';
import { registerOrganizationStats } from './organization-stats.js';

/** `ingest org create|list` (and further org subcommands registered beside these). */
export function registerOrganizationCommands(program: Command): Command {
  const org = program.command('org').description('manage organizations (tenants)');

  org
    .command('create')
    .description('create an organization')
    .argument('<slug>', 'lowercase letters, digits, - and _ (up to 63)')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--quota <size>', 'storage quota, e.g. 10GB (default: none)', parseSizeOption)
    .option('--json', 'as JSON')
    .action(async (slug: string, options: { name?: string; quota?: number; json?: boolean }) =>
      withServices(async (services) => {
        const created = await createOrganization(services.pool, {
          slug,
          ...(options.name !== undefined && { name: options.name }),
          storageQuotaBytes: options.quota ?? null,
        });
        if (options.json) printJson(created);
        else
          process.stdout.write(
            `created organization ${created.slug} (${created.id})${created.storageQuotaBytes !== null ? `, quota ${formatBytes(created.storageQuotaBytes)}` : ''}\n`,
          );
      }),
    );

  org
    .command('list')
    .description('list organizations')
    .option('--json', 'one JSON object per organization')
    .action(async (options: { json?: boolean }) =>
      withServices(async (services) => {
        const orgs = await listOrganizations(services.pool);
        if (options.json) {
          for (const o of orgs) printJson(o);
          return;
        }
        process.stdout.write(
          `${table(
            ['SLUG', 'ID', 'NAME', 'QUOTA', 'CREATED'],
            orgs.map((o) => [
              o.slug,
              o.id,
              o.name,
              o.storageQuotaBytes === null ? '-' : formatBytes(o.storageQuotaBytes),
              o.createdAt.toISOString(),
            ]),
          )}\n`,
        );
      }),
    );
  registerOrganizationStats(org);
  registerOrganizationDelete(org);
  return org;
}
