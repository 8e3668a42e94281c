import type { Command } from 'commander';
import { runDoctor } from '../../operations/index.js';
import { EXIT, printJson, table } from '../output.js';
import { withOperatorConnection } from './operator-connection.js';

/** `ingest doctor`: checks the installation as it is (it applies no migration and recovers nothing). */
export async function doctorCommand(options: { json?: boolean }): Promise<boolean> {
  return withOperatorConnection(async ({ config, pool, store }) => {
    const checks = await runDoctor({
      pool,
      store,
      spoolDir: config.spoolDir,
      maxUploadBytes: config.maxUploadBytes,
    });
    const ok = checks.every((c) => c.status !== 'fail');
    if (options.json) printJson({ ok, checks });
    else {
      process.stdout.write(
        `${table(
          ['status', 'check', 'detail'],
          checks.map((c) => [c.status, c.name, c.detail]),
        )}\n`,
      );
    }
    return ok;
  });
}

export function registerDoctorCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description(
      'check the installation: database version, migrations, activity-log partitions ahead, age of the organization totals, job queue, abandoned files, object store, spool disk space',
    )
    .option('--json', 'print {ok, checks: [{name, status, detail, data}]}')
    .addHelpText('after', '\nExit code 1 when a check fails (warnings do not fail).')
    .action(async (options: { json?: boolean }) => {
      setExitCode((await doctorCommand(options)) ? EXIT.ok : EXIT.failed);
    });
}
