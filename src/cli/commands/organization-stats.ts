import type { Command } from 'commander';
import { listOrganizationMetrics, refreshOrganizationMetrics } from '../../db/index.js';
import { formatBytes } from '../../units.js';
import { withServices } from '../context.js';
import { printJson, table } from '../output.js';

/** `ingest org stats [--refresh] [--json]`: per-organization totals from analytics.organization_metrics. */
export function registerOrganizationStats(org: Command): void {
  org
    .command('stats')
    .description('per-organization totals (files, bytes, rows) from analytics.organization_metrics')
    .option('--refresh', 'recompute the totals first (they are as of the last refresh otherwise)')
    .option('--json', 'one JSON object per organization')
    .action(async (options: { refresh?: boolean; json?: boolean }) =>
      withServices(async (services) => {
        if (options.refresh) await refreshOrganizationMetrics(services.pool);
        const stats = await listOrganizationMetrics(services.pool);
        if (options.json) {
          for (const s of stats) printJson(s);
          return;
        }
        process.stdout.write(
          `${table(
            ['SLUG', 'FILES', 'FAILED', 'ORIGINAL', 'STORED', 'ROWS', 'AS OF'],
            stats.map((s) => [
              s.slug,
              String(s.readyFiles),
              String(s.failedFiles),
              formatBytes(s.originalBytes),
              formatBytes(s.storedBytes),
              s.rows.toLocaleString('en-US'),
              s.refreshedAt.toISOString(),
            ]),
          )}\n`,
        );
      }),
    );
}
