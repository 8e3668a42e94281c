import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import {
  backupSchemas,
  exportSnapshot,
  listReferencedObjects,
  type ReferencedObject,
  serverVersion,
} from '../db/index.js';
import { coerceError, IngestError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ObjectStore } from '../storage/index.js';
import {
  BACKUP_FILES,
  BACKUP_FORMAT,
  type BackupManifest,
  type BackupObject,
  objectPath,
  sha256OfFile,
} from './backup-manifest.js';
import { findPgClientTools, runDatabaseTool } from './pg-client-tools.js';

export interface BackupOptions {
  pool: pg.Pool;
  /** The database pg_dump connects to (the pool's). */
  connectionString: string;
  store: ObjectStore;
  /** A new or empty folder. */
  outDir: string;
  /** copy: the objects' bytes go into the backup; manifest: only their keys and checksums. */
  objects: 'copy' | 'manifest';
  /** INGEST_PG_BIN: where pg_dump lives, when not in a usual place. */
  pgBin?: string;
  log: Logger;
}

/**
 * A consistent backup: pg_dump of ingest's schemas and of its migration record, both from one exported
 * snapshot, and the objects that snapshot refers to (originals and chunk archives), copied with their
 * SHA-256 verified, or listed. Objects are immutable under their key, so copying them after the dump
 * gives exactly the snapshot's bytes; one deleted meanwhile is listed as missing. The manifest is
 * written last.
 */
export async function createBackup(options: BackupOptions): Promise<BackupManifest> {
  const { pool, outDir, store, log } = options;
  await mkdir(outDir, { recursive: true });
  if ((await readdir(outDir)).length > 0) {
    throw new IngestError('INVALID_OPTION', `--out ${outDir} is not empty: back up into a new folder`, {
      option: '--out',
    });
  }
  const version = await serverVersion(pool);
  const tools = await findPgClientTools(Math.floor(version.num / 10_000), options.pgBin);
  const client = await pool.connect().catch((err: unknown) => {
    throw coerceError(err);
  });
  let broken: Error | undefined;
  let schemas: string[];
  let referenced: ReferencedObject[];
  try {
    const snapshot = await exportSnapshot(client);
    schemas = await backupSchemas(client);
    const dump = (file: string, selection: string[]) =>
      runDatabaseTool(
        tools.pgDump,
        ['--format=custom', `--snapshot=${snapshot}`, `--file=${join(outDir, file)}`, ...selection],
        options.connectionString,
      );
    await dump(
      BACKUP_FILES.database,
      schemas.map((s) => `--schema=${s}`),
    );
    await dump(BACKUP_FILES.migrations, ['--table=public.ingest_migrations']);
    referenced = await listReferencedObjects(client);
    await client.query('COMMIT');
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
  log.info({ schemas, objects: referenced.length }, 'database dumped');

  const items: BackupObject[] = [];
  const missing: string[] = [];
  for (const object of referenced) {
    const copied =
      options.objects === 'copy'
        ? await copyObject(store, object, objectPath(outDir, object.key))
        : await store.head(object.key).then((info) => (info ? { size: info.size } : null));
    if (copied) items.push({ key: object.key, sha256: object.sha256, size: copied.size });
    else missing.push(object.key);
  }
  if (missing.length > 0) log.warn({ missing: missing.length }, 'objects deleted while the backup ran');

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    createdAt: new Date().toISOString(),
    server: version.text,
    pgDump: tools.version,
    schemas,
    checksums: {
      [BACKUP_FILES.database]: await sha256OfFile(join(outDir, BACKUP_FILES.database)),
      [BACKUP_FILES.migrations]: await sha256OfFile(join(outDir, BACKUP_FILES.migrations)),
    },
    objects: { mode: options.objects, store: store.description, items, missing },
  };
  await writeFile(join(outDir, BACKUP_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Copies one object to `path`, verifying its SHA-256; null when the store no longer has it. */
async function copyObject(
  store: ObjectStore,
  object: ReferencedObject,
  path: string,
): Promise<{ size: number } | null> {
  if (!(await store.head(object.key))) return null;
  await mkdir(dirname(path), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(await store.get(object.key), meter, createWriteStream(path, { flags: 'wx' }));
  const actual = hash.digest('hex');
  if (actual !== object.sha256) {
    throw new IngestError(
      'CHECKSUM_MISMATCH',
      `object ${object.key} in ${store.description} does not match the SHA-256 the database records`,
      { file: object.key },
    );
  }
  return { size };
}
