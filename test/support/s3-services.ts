import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openServices, type Services } from '../../src/ingest/index.js';
import { assertPoolReleased, createTestDatabase, type TestDatabase } from './database.js';
import { startS3Server, type TestS3Server } from './s3-server.js';

export interface S3TestEnvironment {
  db: TestDatabase;
  s3: TestS3Server;
  /** Services on the test database with the S3 bucket as object store. */
  services: Services;
  home: string;
  /** Environment for CLI children: the same database and bucket. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A fresh database, an s3rver bucket, a temporary INGEST_HOME, and services using all three. `plain`: an
 * s3rver without the multipart-upload listing and abort it lacks (see startS3Server).
 */
export async function createS3TestEnvironment(options: { plain?: boolean } = {}): Promise<S3TestEnvironment> {
  const [db, s3] = await Promise.all([createTestDatabase(), startS3Server(undefined, options)]);
  const home = await mkdtemp(join(tmpdir(), 'ingest-s3-'));
  const env = { DATABASE_URL: db.url, INGEST_HOME: home, ...s3.env };
  const services = await openServices(loadConfig(env), { threads: 2 });
  return {
    db,
    s3,
    services,
    home,
    env,
    async close() {
      // Before ending them: end() would wait forever for a leaked client instead of naming the leak.
      assertPoolReleased(services.pool);
      assertPoolReleased(db.pool);
      await services.close();
      await db.drop();
      await s3.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
