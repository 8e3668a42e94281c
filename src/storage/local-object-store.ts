import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestError } from '../errors.js';
import { createHashMeter } from '../hash-meter.js';
import type { ObjectInfo, ObjectStore } from './object-store.js';

/**
 * Objects as files under a folder. A put writes a temporary file beside the target, fsyncs it and
 * renames it into place, so a reader never sees a partial object and a crash leaves only a temp file.
 */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  private pathOf(key: string): string {
    if (key.includes('..') || key.startsWith('/')) {
      throw new IngestError(
        'INVALID_OPTION',
        `object key must be relative and stay inside the store: ${key}`,
      );
    }
    return join(this.root, ...key.split('/'));
  }

  async put(
    key: string,
    body: Readable,
    options: { size?: number; sha256?: string } = {},
  ): Promise<ObjectInfo> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.partial`;
    const meter = createHashMeter();
    try {
      const out = createWriteStream(temp, { flush: true });
      await pipeline(body, meter.transform, out);
      const digest = meter.sha256();
      if (options.sha256 && digest !== options.sha256) {
        throw new IngestError(
          'CHECKSUM_MISMATCH',
          `stored object ${key} hashes to ${digest}, expected ${options.sha256}`,
        );
      }
      await rename(temp, target);
      return { size: meter.bytes(), sha256: digest };
    } catch (err) {
      await rm(temp, { force: true });
      if (err instanceof IngestError) throw err;
      throw new IngestError(
        'STORAGE_ERROR',
        `could not store object ${key} in ${this.description}: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    await this.statOrThrow(key, path);
    return createReadStream(path);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.pathOf(key));
      return { size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new IngestError(
        'STORAGE_ERROR',
        `could not read object ${key}: ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.pathOf(prefix.replace(/\/+$/, '') || '.');
    let entries: string[];
    try {
      entries = (await readdir(base, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.endsWith('.partial'))
        .map((e) => join(e.parentPath, e.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const file of entries.sort()) yield relative(this.root, file).split(sep).join('/');
  }

  private async statOrThrow(key: string, path: string): Promise<void> {
    try {
      await stat(path);
    } catch (err) {
      throw new IngestError(
        'SOURCE_NOT_FOUND',
        `object ${key} is missing from ${this.description}`,
        {},
        { cause: err },
      );
    }
  }
}
