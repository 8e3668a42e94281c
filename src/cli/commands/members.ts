import { type Command, Option } from 'commander';
import { findUserAsOperator, getOrganization } from '../../db/index.js';
import { ROLES, type Role } from '../../domain/index.js';
import { IngestError } from '../../errors.js';
import {
  addMember,
  changeMemberRole,
  listMembership,
  type PeopleAccess,
  removeMember,
} from '../../people/index.js';
import { cliActor, withServices } from '../context.js';
import { printJson, shortTime, table } from '../output.js';

function operator(): PeopleAccess {
  return { kind: 'operator', name: cliActor() };
}

const roleOption = () => new Option('--role <role>', 'viewer, member, admin or owner').choices(ROLES);

/** A member by user id, external id or (for a pending invitation) email, as `who` was given. */
async function memberKey(pool: Parameters<typeof findUserAsOperator>[0], who: string): Promise<string> {
  if (who.includes('@')) return who;
  const user = await findUserAsOperator(pool, who);
  if (!user) throw new IngestError('MEMBER_NOT_FOUND', `no user ${who}`, { member: who });
  return user.id;
}

/**
 * `ingest member add|list|remove|role`: an operator's view of an organization's people (as the login
 * role: no role table applies to operators). Each change goes to the activity log as `cli:<user>`.
 */
export function registerMemberCommands(program: Command): Command {
  const member = program.command('member').description("manage an organization's members and invitations");

  member
    .command('add')
    .description(
      'add a member by external id (at once) or invite an email (a membership at its first sign-in)',
    )
    .argument('<who>', "an email address, or the identity provider's user id")
    .requiredOption('--org <slug>', 'organization')
    .addOption(roleOption().makeOptionMandatory())
    .option('--json', 'as JSON')
    .action(async (who: string, options: { org: string; role: Role; json?: boolean }) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const added = await addMember(
          services.pool,
          operator(),
          org.id,
          who.includes('@') ? { email: who } : { externalId: who },
          options.role,
          services.config.peopleLimits,
        );
        if (options.json) printJson(added);
        else if (added.status === 'invited')
          process.stdout.write(
            `invited ${added.email} to ${org.slug} as ${added.role} (pending until they sign in)\n`,
          );
        else
          process.stdout.write(
            `${added.created ? 'added' : 'already a member:'} ${who} (${added.userId}) in ${org.slug} as ${added.role}\n`,
          );
      }),
    );

  member
    .command('list')
    .description("list an organization's members and pending invitations")
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'one JSON object per member or invitation')
    .action(async (options: { org: string; json?: boolean }) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const { members, invitations } = await listMembership(services.pool, operator(), org.id);
        if (options.json) {
          for (const m of members)
            printJson({ status: 'member', ...m, createdAt: m.createdAt.toISOString() });
          for (const i of invitations)
            printJson({ status: 'invited', ...i, createdAt: i.createdAt.toISOString() });
          return;
        }
        process.stdout.write(
          `${table(
            ['USER ID', 'EXTERNAL ID', 'EMAIL', 'NAME', 'ROLE', 'SINCE'],
            [
              ...members.map((m) => [
                m.userId,
                m.externalId,
                m.email ?? '-',
                m.name ?? '-',
                m.role,
                shortTime(m.createdAt),
              ]),
              ...invitations.map((i) => ['(invited)', '-', i.email, '-', i.role, shortTime(i.createdAt)]),
            ],
          )}\n`,
        );
      }),
    );

  member
    .command('remove')
    .description('remove a member (their next request is refused) or withdraw an invitation')
    .argument('<who>', "user id, the identity provider's user id, or an invited email")
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'as JSON')
    .action(async (who: string, options: { org: string; json?: boolean }) =>
      withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const removed = await removeMember(
          services.pool,
          operator(),
          org.id,
          await memberKey(services.pool, who),
        );
        if (options.json) printJson(removed);
        else process.stdout.write(`removed ${removed.removed} ${who} from ${org.slug}\n`);
      }),
    );

  member
    .command('role')
    .description("change a member's role")
    .argument('<who>', "user id or the identity provider's user id")
    .argument('<role>', 'viewer, member, admin or owner')
    .requiredOption('--org <slug>', 'organization')
    .option('--json', 'as JSON')
    .action(async (who: string, role: string, options: { org: string; json?: boolean }) => {
      if (!(ROLES as readonly string[]).includes(role))
        throw new IngestError(
          'INVALID_OPTION',
          `role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`,
          {
            option: 'role',
          },
        );
      await withServices(async (services) => {
        const org = await getOrganization(services.pool, options.org);
        const changed = await changeMemberRole(
          services.pool,
          operator(),
          org.id,
          await memberKey(services.pool, who),
          role as Role,
        );
        if (options.json) printJson(changed);
        else process.stdout.write(`${who} in ${org.slug}: ${changed.previousRole} -> ${changed.role}\n`);
      });
    });
  return member;
}
