import { listFileMetrics, withTenant } from '../../db/index.js';
import { fileOrganizationId, withServices } from '../context.js';
import { printJson, table } from '../output.js';

/** `ingest metrics <fileId>`: the file's metric rows; file-level first, then per column. */
export async function metricsCommand(fileId: string, options: { json?: boolean }): Promise<void> {
  await withServices(async (services) => {
    const organizationId = await fileOrganizationId(services, fileId);
    const metrics = await withTenant(services.pool, organizationId, (db) => listFileMetrics(db, fileId));
    if (options.json) {
      printJson({ fileId, metrics });
      return;
    }
    process.stdout.write(
      `${table(
        ['COLUMN', 'METRIC', 'VALUE'],
        metrics.map((m) => [
          m.columnName ?? '(file)',
          m.metricType,
          m.textValue ?? (m.numericValue === null ? '' : String(m.numericValue)),
        ]),
      )}\n`,
    );
  });
}
