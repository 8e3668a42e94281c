import type { Command } from 'commander';
import { createApiKey, parseScopes, revokeApiKeyById, SCOPES } from '../../api-keys/index.js';
import { getOrganization, listApiKeys, withTenant } from '../../db/index.js';
import { apiKeyJson } from '../../ingest/index.js';
import { cliActor, withServices } from '../context.js';
import { parseIntegerOption } from '../option-parsers.js';
import { printJson, shortTime, table } from '../output.js';

/** `ingest key create|list|revoke`: API keys for the HTTP server. */
export function registerKeyCommands(program: Command): Command {
  const key = program.command('key').description('manage API keys for the HTTP server (ingest serve)');

  key
    .command('create')
    .description('create an API key and print its secret (shown this once only)')
    .requiredOption('--org <slug>', 'organization the key acts for')
    .requiredOption('--scopes <list>', `comma-separated: ${SCOPES.join(', ')}`)
    .option('--name <name>', 'a label shown in key list', '')
    .option('--rate-limit <n>', 'requests per minute (default 600)', parseIntegerOption(1, 1_000_000))
    .option('--json', 'print {"id", "key", "prefix", "scopes"}')
    .action(
      async (options: { org: string; scopes: string; name: string; rateLimit?: number; json?: boolean }) => {
        const scopes = parseScopes(options.scopes);
        await withServices(async (services) => {
          const org = await getOrganization(services.pool, options.org);
          const { record: created, key: secretKey } = await createApiKey(services.pool, {
            organizationId: org.id,
            scopes,
            name: options.name,
            ...(options.rateLimit !== undefined && { rateLimitPerMinute: options.rateLimit }),
            actor: cliActor(),
          });
          if (options.json) {
            printJson({ id: created.id, key: secretKey, prefix: created.prefix, scopes: created.scopes });
            return;
          }
          process.stdout.write(
            `created API key ${created.id} for ${org.slug} (prefix ${created.prefix}, scopes ${created.scopes.join(',')}, ${created.rateLimitPerMinute}/min)\n` +
              `key: ${secretKey}\n` +
              'Store it now: it is not shown again, and only its hash is kept.\n',
          );
        });
      },
    );

  key
    .command('list')
    .description("list an organization's API keys (never their secrets)")
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'one JSON object per key')
    .action(async (options: { org: string; json?: boolean }) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const keys = await withTenant(services.pool, org.id, (db) => listApiKeys(db));
        if (options.json) {
          for (const k of keys) {
            printJson(apiKeyJson(k));
          }
          return;
        }
        if (keys.length === 0) {
          process.stdout.write(`no API keys in ${org.slug}\n`);
          return;
        }
        const time = (d: Date | null) => (d ? shortTime(d) : '-');
        process.stdout.write(
          `${table(
            ['ID', 'PREFIX', 'SCOPES', 'LIMIT/MIN', 'LAST USED', 'REVOKED', 'NAME'],
            keys.map((k) => [
              k.id,
              k.prefix,
              k.scopes.join(','),
              k.rateLimitPerMinute,
              time(k.lastUsedAt),
              time(k.revokedAt),
              k.name,
            ]),
          )}\n`,
        );
      }),
    );

  key
    .command('revoke')
    .description('revoke an API key: requests with it fail at once')
    .argument('<id>', 'key id, as printed by key create or key list')
    .option('--json', 'as JSON')
    .action(async (id: string, options: { json?: boolean }) =>
      withServices(async (services) => {
        const revoked = await revokeApiKeyById(services.pool, id, cliActor());
        if (options.json) printJson({ id: revoked.id, revokedAt: revoked.revokedAt?.toISOString() ?? null });
        else process.stdout.write(`revoked API key ${revoked.id} (prefix ${revoked.prefix})\n`);
      }),
    );
  return key;
}
