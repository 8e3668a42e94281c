import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { IngestError } from '../errors.js';

/** The files of a backup folder. manifest.json is written last: a folder without it is incomplete. */
export const BACKUP_FILES = {
  manifest: 'manifest.json',
  /** pg_dump custom format of ingest's schemas (and a job queue's). */
  database: 'database.dump',
  /** pg_dump custom format of public.ingest_migrations, from the same snapshot. */
  migrations: 'migrations.dump',
  /** Copies of the objects, under their keys. */
  objects: 'objects',
} as const;

export const BACKUP_FORMAT = 'ingest-backup/1';

/** One object the backup accounts for. */
export interface BackupObject {
  key: string;
  /** SHA-256 the database records for it (verified when copied and again when restored). */
  sha256: string;
  size: number;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  createdAt: string;
  /** PostgreSQL's server_version at backup time. */
  server: string;
  /** The pg_dump that made the dumps. */
  pgDump: string;
  schemas: string[];
  /** SHA-256 of each dump file. */
  checksums: Record<string, string>;
  objects: {
    /** copy: the bytes are in objects/; manifest: only their keys, the store keeps the bytes. */
    mode: 'copy' | 'manifest';
    store: string;
    items: BackupObject[];
    /** Objects the snapshot referred to that the store no longer had (deleted during the backup). */
    missing: string[];
  };
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The manifest of a backup folder, with every dump's checksum verified; BACKUP_INVALID otherwise. */
export async function readBackupManifest(dir: string): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, BACKUP_FILES.manifest), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new IngestError(
      'BACKUP_INVALID',
      `${join(dir, BACKUP_FILES.manifest)} is missing or not JSON: the backup did not finish, or this is not a backup folder`,
      { file: join(dir, BACKUP_FILES.manifest) },
      { cause: err },
    );
  }
  if (manifest.format !== BACKUP_FORMAT || !manifest.checksums || !manifest.objects) {
    throw new IngestError('BACKUP_INVALID', `${dir} is not an ${BACKUP_FORMAT} backup`, { file: dir });
  }
  for (const name of [BACKUP_FILES.database, BACKUP_FILES.migrations]) {
    const path = join(dir, name);
    const actual = await sha256OfFile(path).catch(() => null);
    if (actual !== manifest.checksums[name]) {
      throw new IngestError(
        'BACKUP_INVALID',
        actual === null
          ? `${path} is missing`
          : `${path} does not match its checksum in the manifest (damaged or changed)`,
        { file: path },
      );
    }
  }
  return manifest;
}

/** An object key as a path under objects/, refusing anything that could leave the folder. */
export function objectPath(dir: string, key: string): string {
  if (
    !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) ||
    key.split('/').some((p) => p === '..' || p === '.')
  ) {
    throw new IngestError(
      'BACKUP_INVALID',
      `object key ${JSON.stringify(key)} is not a plain relative path`,
      {
        file: key,
      },
    );
  }
  return join(dir, BACKUP_FILES.objects, ...key.split('/'));
}
