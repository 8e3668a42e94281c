import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ensureOrganization, type Organization } from '../src/db/index.js';
import {
  archiveFiles,
  exportFile,
  exportOriginal,
  ingest,
  openServices,
  type Services,
} from '../src/ingest/index.js';
import { createTestDatabase, type TestDatabase, withClient, withDatabase } from './support/database.js';
import { writeGeneratedCsv } from './support/generated-csv.js';
import { runCli } from './support/run-cli.js';

/** A Writable that hashes what it receives. */
function hashSink(): { sink: Writable; digest: () => string } {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done();
    },
  });
  return { sink, digest: () => hash.digest('hex') };
}

interface Expected {
  organizationId: string;
  fileId: string;
  sha256: string;
  /** SHA-256 of the file rebuilt from its chunks (export), before the backup. */
  exportSha256: string;
}

async function exportedShas(services: Services, file: { organizationId: string; fileId: string }) {
  const original = hashSink();
  await exportOriginal(services.pool, services.store, file.organizationId, file.fileId, original.sink);
  const rebuilt = hashSink();
  await exportFile(services.pool, file.organizationId, file.fileId, rebuilt.sink, { store: services.store });
  return { original: original.digest(), rebuilt: rebuilt.digest() };
}

let db: TestDatabase;
let home: string;
let backupDir: string;
let env: Record<string, string>;
const expected: Expected[] = [];
const extraDatabases: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  home = await mkdtemp(join(tmpdir(), 'ingest-backup-test-'));
  backupDir = join(home, 'backup');
  env = { DATABASE_URL: db.url, INGEST_HOME: home };
  const services = await openServices(loadConfig(env), { threads: 2 });
  try {
    const acme: Organization = (await ensureOrganization(db.pool, 'acme')).organization;
    const globex: Organization = (await ensureOrganization(db.pool, 'globex')).organization;
    const generated = join(home, 'generated.csv');
    await writeGeneratedCsv(generated, 512 * 1024, 3);
    const inputs: [Organization, string][] = [
      [acme, 'fixtures/sample.csv'],
      [acme, 'fixtures/bom-semicolon-crlf.csv'],
      [globex, generated],
      [globex, 'fixtures/sample.csv'],
    ];
    for (const [organization, path] of inputs) {
      const r = await ingest(services, { kind: 'path', path }, { organization, chunkBytes: 64 * 1024 });
      expected.push({
        organizationId: organization.id,
        fileId: r.fileId,
        sha256: r.sha256,
        exportSha256: '',
      });
    }
    // Globex's files are archived: their chunks live in an archive object the backup must carry too.
    const archived = await archiveFiles(services, globex, 0, { name: 'test' });
    expect(archived.archived).toHaveLength(2);
    for (const file of expected) file.exportSha256 = (await exportedShas(services, file)).rebuilt;
  } finally {
    await services.close();
  }
}, 60_000);

afterAll(async () => {
  await db?.drop();
  const server = db ? withDatabase(db.url, 'postgres') : undefined;
  if (server) {
    for (const name of extraDatabases)
      await withClient(server, (c) =>
        c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`),
      );
  }
  if (home) await rm(home, { recursive: true, force: true });
});

describe('ingest backup and ingest backup restore', () => {
  it('backs up, survives losing the database and the objects, restores, and every file exports with its SHA-256', async () => {
    const backup = await runCli(['backup', '--out', backupDir, '--json'], env);
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const summary = JSON.parse(backup.stdout);
    // 3 distinct originals (sample.csv twice, in two organizations: two keys) + 2 archives.
    expect(summary).toMatchObject({ objectMode: 'copy', objects: 6, missingObjects: 0 });
    expect(summary.schemas).toEqual(
      expect.arrayContaining(['tenant', 'storage_meta', 'analytics', 'logs', 'cache']),
    );
    expect((await readdir(backupDir)).sort()).toEqual([
      'database.dump',
      'manifest.json',
      'migrations.dump',
      'objects',
    ]);

    // Disaster: the database and the objects folder are gone.
    await withClient(withDatabase(db.url, 'postgres'), (c) =>
      c.query(`DROP DATABASE ${c.escapeIdentifier(db.name)} WITH (FORCE)`),
    );
    await rm(join(home, 'objects'), { recursive: true, force: true });

    const restore = await runCli(['backup', 'restore', backupDir, '--json'], env);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({
      objects: 6,
      missingObjects: [],
      migrationsApplied: [],
    });

    const services = await openServices(loadConfig(env), { threads: 2 });
    try {
      for (const file of expected) {
        const shas = await exportedShas(services, file);
        expect(shas.original, `original of ${file.fileId}`).toBe(file.sha256);
        expect(shas.rebuilt, `export of ${file.fileId}`).toBe(file.exportSha256);
      }
      // The application role works on the restored database: dedup finds the restored file, and a new
      // file goes through every write path as ingest_app.
      const acme = (await ensureOrganization(services.pool, 'acme')).organization;
      const again = await ingest(
        services,
        { kind: 'path', path: 'fixtures/sample.csv' },
        { organization: acme },
      );
      expect(again).toMatchObject({ duplicate: true, fileId: expected[0]!.fileId });
      const fresh = await ingest(
        services,
        { kind: 'path', path: 'fixtures/skip-mode.csv' },
        { organization: acme, onError: 'skip' },
      );
      expect(fresh.duplicate).toBe(false);
    } finally {
      await services.close();
    }
  }, 120_000);

  it('refuses to restore over a database that holds ingest already', async () => {
    const run = await runCli(['backup', 'restore', backupDir], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/RESTORE_TARGET_NOT_EMPTY/);
  });

  it('refuses a damaged backup before touching the database', async () => {
    const damaged = join(home, 'damaged');
    await cp(backupDir, damaged, { recursive: true });
    await appendFile(join(damaged, 'database.dump'), 'x');
    const name = `${db.name}_damaged`;
    extraDatabases.push(name);
    const run = await runCli(['backup', 'restore', damaged], {
      ...env,
      DATABASE_URL: withDatabase(db.url, name),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/BACKUP_INVALID: .*database\.dump does not match its checksum/);
  });

  it('refuses to write into a folder that is not empty', async () => {
    const run = await runCli(['backup', '--out', backupDir], env);
    expect(run.code).toBe(2); // a usage error, as every INVALID_OPTION
    expect(run.stderr).toMatch(/INVALID_OPTION: --out .* is not empty/);
  });
});
