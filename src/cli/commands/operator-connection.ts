import type pg from 'pg';
import { type Config, loadConfig } from '../../config.js';
import { createPool } from '../../db/index.js';
import { openDatabase } from '../../embedded-postgres/index.js';
import { logger } from '../../logger.js';
import { createObjectStore, type ObjectStore } from '../../storage/index.js';

export interface OperatorConnection {
  config: Config;
  connectionString: string;
  pool: pg.Pool;
  store: ObjectStore;
}

/**
 * The configured database and object store, without what openServices does on the way (migrations,
 * recovery of abandoned files): `ingest doctor` reports on the state as it is, and `ingest backup` copies
 * it as it is. Always closed, stopping a transient embedded server.
 */
export async function withOperatorConnection<T>(
  fn: (connection: OperatorConnection) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const database = await openDatabase({
    home: config.home,
    log: logger,
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
  });
  try {
    const pool = createPool(database.connectionString, { max: 4 });
    try {
      const store = await createObjectStore(config);
      return await fn({ config, connectionString: database.connectionString, pool, store });
    } finally {
      await pool.end();
    }
  } finally {
    await database.release();
  }
}
