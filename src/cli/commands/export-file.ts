import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { IngestError } from '../../errors.js';
import { exportFile, exportOriginal, type Services } from '../../ingest/index.js';
import { fileOrganizationId, withServices } from '../context.js';

/**
 * `ingest export <fileId> [-o path] [--normalize | --original]`: to stdout, or atomically to a file.
 * Rebuilt from the chunks (wherever they are, archived or not), or with --original the stored original.
 */
export async function exportCommand(
  fileId: string,
  options: { output?: string; normalize?: boolean; original?: boolean },
): Promise<void> {
  if (options.original && options.normalize) {
    throw new IngestError('INVALID_OPTION', '--original and --normalize cannot be combined', {
      option: 'original',
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

function exportTo(
  services: Services,
  organizationId: string,
  fileId: string,
  out: Writable,
  options: { normalize?: boolean; original?: boolean },
): Promise<unknown> {
  if (options.original) return exportOriginal(services.pool, services.store, organizationId, fileId, out);
  return exportFile(services.pool, organizationId, fileId, out, {
    normalize: Boolean(options.normalize),
    store: services.store,
  });
}
