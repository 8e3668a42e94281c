import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { findFileOrganizationId } from '../../db/index.js';
import { IngestError } from '../../errors.js';
import { exportFile } from '../../ingest/index.js';
import { withServices } from '../context.js';

/** `ingest export <fileId> [-o path] [--normalize]`: to stdout, or atomically to a file. */
export async function exportCommand(
  fileId: string,
  options: { output?: string; normalize?: boolean },
): Promise<void> {
  await withServices(async (services) => {
    const organizationId = await findFileOrganizationId(services.pool, fileId);
    if (!organizationId) throw new IngestError('FILE_NOT_FOUND', `no file ${fileId}`, { fileId });
    if (!options.output) {
      await exportFile(services.pool, organizationId, fileId, process.stdout, {
        normalize: Boolean(options.normalize),
      });
      return;
    }
    // Write beside the target and rename, so a failed export never leaves a half file under the name.
    const temp = `${options.output}.partial`;
    const out = createWriteStream(temp);
    try {
      await exportFile(services.pool, organizationId, fileId, out, { normalize: Boolean(options.normalize) });
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
