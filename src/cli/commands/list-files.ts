import { getOrganization, listFiles, withTenant } from '../../db/index.js';
import { fileSummary } from '../../ingest/index.js';
import { formatBytes } from '../../units.js';
import { withServices } from '../context.js';
import { printJson, shortTime, table } from '../output.js';

/** `ingest files --org <slug>`: the organization's files, newest first. */
export async function filesCommand(options: { org: string; json?: boolean; limit: number }): Promise<void> {
  await withServices(async (services) => {
    const org = await getOrganization(services.pool, options.org);
    const files = await withTenant(services.pool, org.id, (db) => listFiles(db, { limit: options.limit }));
    if (options.json) {
      for (const f of files) {
        printJson({
          ...fileSummary({ ...f, columnCount: f.columns?.length ?? null }),
          archivedAt: f.archive?.archivedAt.toISOString() ?? null,
        });
      }
      return;
    }
    if (files.length === 0) {
      process.stdout.write(`no files in ${org.slug}\n`);
      return;
    }
    process.stdout.write(
      `${table(
        ['FILE ID', 'STATUS', 'ROWS', 'SIZE', 'STORED', 'CREATED', 'NAME'],
        files.map((f) => [
          f.id,
          f.archive ? `${f.status} (archived)` : f.status,
          f.rowCount ?? '',
          formatBytes(f.sizeBytes),
          f.storedBytes === null ? '' : formatBytes(f.storedBytes),
          shortTime(f.createdAt),
          f.filename,
        ]),
      )}\n`,
    );
  });
}
