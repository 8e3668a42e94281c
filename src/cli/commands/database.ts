import { loadConfig } from '../../config.js';
import { createPool, migrate } from '../../db/index.js';
import { embeddedStatus, openDatabase, startEmbedded, stopEmbedded } from '../../embedded-postgres/index.js';
import { printJson } from '../output.js';

/** `ingest db start`: a persistent embedded server that later commands reuse until `ingest db stop`. */
export async function dbStartCommand(options: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  const started = await startEmbedded(config.home);
  const pool = createPool(started.connectionString, { max: 2 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  if (options.json) printJson(started);
  else
    process.stdout.write(
      `${started.alreadyRunning ? 'already running' : 'started'}: ${started.connectionString} (pid ${started.pid}, data ${started.dataDir})\n`,
    );
}

export async function dbStopCommand(): Promise<void> {
  const { stopped } = await stopEmbedded(loadConfig().home);
  process.stdout.write(stopped ? 'stopped\n' : 'not running\n');
}

export async function dbStatusCommand(options: { json?: boolean }): Promise<void> {
  const config = loadConfig();
  if (config.databaseUrl) {
    process.stdout.write('DATABASE_URL is set: the embedded database is not used\n');
    return;
  }
  const status = await embeddedStatus(config.home);
  if (options.json) printJson(status);
  else
    process.stdout.write(
      status.running
        ? `running: ${status.connectionString} (pid ${status.pid}, data ${status.dataDir})\n`
        : `not running (data ${status.dataDir})\n`,
    );
}

/** `ingest migrate`: applies pending migrations and says which. */
export async function migrateCommand(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({
    home: config.home,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
  });
  const pool = createPool(database.connectionString, { max: 2 });
  try {
    const { applied } = await migrate(pool);
    process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'up to date\n');
  } finally {
    await pool.end();
    await database.release();
  }
}
