import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { IngestError } from '../../errors.js';
import {
  exportFile,
  exportOriginal,
  exportParquet,
  getReadyFile,
  parseColumnList,
  type Services,
  writeRowsCsv,
} from '../../ingest/index.js';
import { fileOrganizationId, withServices } from '../context.js';

export interface ExportCommandOptions {
  output?: string;
  normalize?: boolean;
  original?: boolean;
  format?: 'csv' | 'parquet';
  offset?: number;
  limit?: number;
  columns?: string;
}

/**
 * `ingest export <fileId> [-o path] [--normalize | --original | --format parquet] [--offset n] [--limit n]`:
 * to stdout, or atomically to a file. Rebuilt from the chunks (wherever they are, archived or not), or
 * with --original the stored original. --offset/--limit/--columns pick rows and columns the way `ingest
 * rows` does (the same code path), written as normalized CSV or Parquet.
 */
export async function exportCommand(fileId: string, options: ExportCommandOptions): Promise<void> {
  const picks = options.offset !== undefined || options.limit !== undefined || options.columns !== undefined;
  if (options.original && (options.normalize || picks || options.format === 'parquet')) {
    throw new IngestError(
      'INVALID_OPTION',
      '--original writes the stored bytes as uploaded: it cannot be combined with --normalize, --format, --offset, --limit or --columns',
      { option: 'original' },
    );
  }
  if (options.format === 'parquet' && options.normalize) {
    throw new IngestError('INVALID_OPTION', '--normalize applies to CSV only, not to --format parquet', {
      option: 'normalize',
    });
  }
  await withServices(async (services) => {
    const organizationId = await fileOrganizationId(services, fileId);
    const run = (out: Writable) => exportTo(services, organizationId, fileId, out, options);
    if (!options.output) {
      await run(process.stdout);
      return;
    }
    // Write beside the target and rename, so a failed export never leaves a half file under the name.
    const temp = `${options.output}.partial`;
    const out = createWriteStream(temp);
    try {
      await run(out);
      out.end();
      await once(out, 'finish');
      await rename(temp, options.output);
    } catch (err) {
      out.destroy();
      await rm(temp, { force: true });
      throw err;
    }
  });
}

async function exportTo(
  services: Services,
  organizationId: string,
  fileId: string,
  out: Writable,
  options: ExportCommandOptions,
): Promise<unknown> {
  if (options.original) return exportOriginal(services.pool, services.store, organizationId, fileId, out);
  const range = {
    offset: options.offset ?? 0,
    ...(options.limit !== undefined && { limit: options.limit }),
    ...(options.columns !== undefined && { columns: parseColumnList(options.columns) }),
  };
  if (options.format === 'parquet') {
    const file = await getReadyFile(services.pool, organizationId, fileId);
    return exportParquet(services.pool, services.store, file, out, range);
  }
  if (options.offset !== undefined || options.limit !== undefined || options.columns !== undefined) {
    const file = await getReadyFile(services.pool, organizationId, fileId);
    return writeRowsCsv(services.pool, services.store, file, out, range);
  }
  return exportFile(services.pool, organizationId, fileId, out, {
    normalize: Boolean(options.normalize),
    store: services.store,
  });
}
