import type { Command } from 'commander';
import { createOrganization, getOrganization, listOrganizations } from '../../db/index.js';
import { changeQuota, createClientAsOperator } from '../../people/index.js';
import { formatBytes } from '../../units.js';
import { cliActor, withServices } from '../context.js';
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
    .option('--parent <agency>', 'make it a client organization of this agency (its members act in it)')
    .option('--json', 'as JSON')
    .action(
      async (slug: string, options: { name?: string; quota?: number; parent?: string; json?: boolean }) =>
        withServices(async (services) => {
          const created =
            options.parent !== undefined
              ? await createClientAsOperator(
                  services.pool,
                  {
                    slug,
                    ...(options.name !== undefined && { name: options.name }),
                    storageQuotaBytes: options.quota ?? null,
                    parentSlug: options.parent,
                    actor: cliActor(),
                  },
                  services.config.peopleLimits.maxClients,
                )
              : await createOrganization(services.pool, {
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
    .command('quota')
    .description("change an organization's storage quota")
    .argument('<slug>', 'organization')
    .argument('<size>', "quota, e.g. 10GB; 'none' for no quota")
    .option('--json', 'as JSON')
    .action(async (slug: string, size: string, options: { json?: boolean }) => {
      const quotaBytes = size.toLowerCase() === 'none' ? null : parseSizeOption(size);
      await withServices(async (services) => {
        const organization = await getOrganization(services.pool, slug);
        await changeQuota(services.pool, { kind: 'operator', name: cliActor() }, organization, quotaBytes);
        if (options.json) printJson({ organization: slug, quotaBytes });
        else
          process.stdout.write(
            `quota of ${slug}: ${quotaBytes === null ? 'none' : formatBytes(quotaBytes)}\n`,
          );
      });
    });

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
