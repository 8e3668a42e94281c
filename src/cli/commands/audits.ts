import { Argument, type Command, Option } from 'commander';
import { getOrganization } from '../../db/index.js';
import { AUDIT_STATUSES, type AuditStatus } from '../../domain/index.js';
import { IngestError } from '../../errors.js';
import {
  type Actor,
  attachFile,
  auditDetailJson,
  auditJson,
  findAudits,
  moveAudit,
  newAudit,
  showAudit,
} from '../../ingest/index.js';
import { cliActor, withServices } from '../context.js';
import { parseIntegerOption } from '../option-parsers.js';
import { printJson, shortTime, table } from '../output.js';

const actor = (): Actor => ({ name: cliActor() });

/** `--label key=value`, repeatable. */
function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new IngestError('INVALID_OPTION', '--label must be key=value', { option: 'label' });
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
function parseDay(value: string): string {
  if (!DAY.test(value)) throw new IngestError('INVALID_OPTION', `expected a day YYYY-MM-DD, got ${value}`);
  return value;
}

/** `ingest audit create|list|show|attach|status`: an organization's audits, as the API manages them. */
export function registerAuditCommands(program: Command): Command {
  const audit = program
    .command('audit')
    .description("manage an organization's audits (named groups of files)");

  audit
    .command('create')
    .description('create an audit (status draft)')
    .argument('<name>', 'unique in the organization; `ingest --audit <name>` files uploads under it')
    .requiredOption('--org <slug>', 'organization')
    .option('--description <text>', 'what the audit is for (searched by `audit list --q`)')
    .option('--category <name>', 'a category, e.g. finance')
    .option('--from <day>', 'first day of the period it covers (YYYY-MM-DD)', parseDay)
    .option('--to <day>', 'last day of the period it covers (YYYY-MM-DD)', parseDay)
    .option('--label <key=value>', 'a label (repeatable)', collectLabel)
    .option('--json', 'as JSON')
    .action(async (name: string, o) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, o.org);
        const created = await newAudit(
          services.pool,
          org.id,
          {
            name,
            ...(o.description !== undefined && { description: o.description }),
            ...(o.category !== undefined && { category: o.category }),
            ...((o.from ?? o.to) !== undefined && { period: { from: o.from ?? null, to: o.to ?? null } }),
            ...(o.label !== undefined && { labels: o.label }),
          },
          actor(),
        );
        if (o.json) printJson(auditJson(created));
        else
          process.stdout.write(`created audit ${created.name} (${created.id}), status ${created.status}\n`);
      }),
    );

  audit
    .command('list')
    .description('list audits, newest first')
    .requiredOption('--org <slug>', 'organization')
    .option('--q <words>', 'full-text search over name and description')
    .addOption(new Option('--status <status>', 'only in this status').choices([...AUDIT_STATUSES]))
    .option('--category <name>', 'only in this category')
    .option('--from <day>', 'period overlapping from this day', parseDay)
    .option('--to <day>', 'period overlapping up to this day', parseDay)
    .option('--limit <n>', 'at most n audits', parseIntegerOption(1, 10_000), 100)
    .option('--json', 'one JSON object per audit')
    .action(async (o) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, o.org);
        const { audits } = await findAudits(services.pool, org.id, {
          limit: o.limit,
          ...(o.q !== undefined && { q: o.q }),
          ...(o.status !== undefined && { status: o.status }),
          ...(o.category !== undefined && { category: o.category }),
          ...(o.from !== undefined && { from: o.from }),
          ...(o.to !== undefined && { to: o.to }),
        });
        if (o.json) {
          for (const a of audits) printJson(auditJson(a));
          return;
        }
        if (audits.length === 0) {
          process.stdout.write(`no audits in ${org.slug}\n`);
          return;
        }
        process.stdout.write(
          `${table(
            ['AUDIT ID', 'STATUS', 'FILES', 'CATEGORY', 'PERIOD', 'CREATED', 'NAME'],
            audits.map((a) => [
              a.id,
              a.status,
              a.fileCount,
              a.category ?? '',
              a.period ? `${a.period.from ?? ''}..${a.period.to ?? ''}` : '',
              shortTime(a.createdAt),
              a.name,
            ]),
          )}\n`,
        );
      }),
    );

  audit
    .command('show')
    .description('an audit with its files and results')
    .argument('<audit>', 'audit id or name')
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'as JSON')
    .action(async (ref: string, o) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, o.org);
        const detail = await showAudit(services.pool, { organizationId: org.id, audit: ref, byName: true });
        if (o.json) {
          printJson(auditDetailJson(detail));
          return;
        }
        const a = detail.audit;
        const t = detail.totals;
        process.stdout.write(
          `${a.name} (${a.id})\nstatus ${a.status}; ${t.readyFiles} ready files, ${t.rows} rows, ${t.rejectedRows} rejected\n`,
        );
        if (detail.files.length > 0)
          process.stdout.write(
            `${table(
              ['FILE ID', 'STATUS', 'ROWS', 'ATTACHED', 'NAME'],
              detail.files.map((f) => [
                f.fileId,
                f.status,
                f.rows ?? '',
                shortTime(f.attachedAt),
                f.filename,
              ]),
            )}\n`,
          );
      }),
    );

  audit
    .command('attach')
    .description('add ready files to an audit (a file may be in any number of audits)')
    .argument('<audit>', 'audit id or name')
    .argument('<fileIds...>', 'file ids')
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'one JSON object per file')
    .action(async (ref: string, fileIds: string[], o) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, o.org);
        for (const fileId of fileIds) {
          const r = await attachFile(
            services.pool,
            { organizationId: org.id, audit: ref, byName: true },
            fileId,
            actor(),
          );
          if (o.json) printJson({ auditId: r.audit.id, fileId, attached: r.attached });
          else
            process.stdout.write(
              `${fileId}: ${r.attached ? 'attached to' : 'already in'} audit ${r.audit.name}\n`,
            );
        }
      }),
    );

  audit
    .command('status')
    .description(`move an audit to another status (${AUDIT_STATUSES.join(', ')})`)
    .argument('<audit>', 'audit id or name')
    .addArgument(new Argument('<status>', 'new status').choices([...AUDIT_STATUSES]))
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'as JSON')
    .action(async (ref: string, status: AuditStatus, o) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, o.org);
        const moved = await moveAudit(
          services.pool,
          { organizationId: org.id, audit: ref, byName: true },
          status,
          actor(),
        );
        if (o.json) printJson(auditJson(moved));
        else process.stdout.write(`audit ${moved.name} is ${moved.status}\n`);
      }),
    );
  return audit;
}
