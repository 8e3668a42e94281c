import { type Command, Option } from 'commander';
import {
  getReadyFile,
  materializeFile,
  parseColumnList,
  readRejectedPage,
  readRowsPage,
  rowsPageCsv,
  TYPE_FAILURE_POLICIES,
} from '../../ingest/index.js';
import { LIMITS } from '../../limits.js';
import { fileOrganizationId, withServices } from '../context.js';
import { parseIntegerOption } from '../option-parsers.js';
import { printJson, table } from '../output.js';

/** `ingest rows`, `ingest rejected` and `ingest materialize`: a file's data read back. */
export function registerReadCommands(program: Command): void {
  program
    .command('rows')
    .description("show a page of a file's rows (reads only the chunks that hold the page)")
    .argument('<fileId>', 'file id')
    .option('--offset <n>', 'first row, 0-based', parseIntegerOption(0, Number.MAX_SAFE_INTEGER), 0)
    .option(
      '--limit <n>',
      `rows in the page (${LIMITS.rowsPage.min}-${LIMITS.rowsPage.max})`,
      parseIntegerOption(LIMITS.rowsPage.min, LIMITS.rowsPage.max),
      LIMITS.rowsPage.default,
    )
    .option('--columns <a,b>', 'only these columns, in this order (comma-separated names)')
    .addOption(new Option('--json', 'as JSON: {columns, rows, offset, nextOffset, total}').conflicts('csv'))
    .option('--csv', 'as CSV, header first (the default when stdout is not a terminal)')
    .action(
      async (
        fileId: string,
        options: { offset: number; limit: number; columns?: string; json?: boolean; csv?: boolean },
      ) =>
        withServices(async (services) => {
          const organizationId = await fileOrganizationId(services, fileId);
          const file = await getReadyFile(services.pool, organizationId, fileId);
          const page = await readRowsPage(services.pool, services.store, file, {
            offset: options.offset,
            limit: options.limit,
            ...(options.columns !== undefined && { columns: parseColumnList(options.columns) }),
          });
          if (options.json) {
            printJson({ fileId: file.id, ...page });
          } else if (options.csv || !process.stdout.isTTY) {
            process.stdout.write(rowsPageCsv(page));
          } else {
            const cells = page.rows.map((r) => r.map(cell));
            process.stdout.write(`${table(page.columns, cells)}\n`);
            const last = page.offset + page.rows.length;
            const more = page.nextOffset === null ? '' : ` (next: --offset ${page.nextOffset})`;
            process.stderr.write(`rows ${page.offset + 1}-${last} of ${page.total}${more}\n`);
          }
        }),
    );

  program
    .command('rejected')
    .description('show the rows ingest rejected under --on-error skip: line, code, reason, raw text (capped)')
    .argument('<fileId>', 'file id')
    .option('--offset <n>', 'first rejected row, 0-based', parseIntegerOption(0, Number.MAX_SAFE_INTEGER), 0)
    .option(
      '--limit <n>',
      `rows in the page (${LIMITS.rowsPage.min}-${LIMITS.rowsPage.max})`,
      parseIntegerOption(LIMITS.rowsPage.min, LIMITS.rowsPage.max),
      LIMITS.rowsPage.default,
    )
    .option('--json', 'as JSON: {rejected, offset, nextOffset, total, rejectedRows}')
    .action(async (fileId: string, options: { offset: number; limit: number; json?: boolean }) =>
      withServices(async (services) => {
        const organizationId = await fileOrganizationId(services, fileId);
        const file = await getReadyFile(services.pool, organizationId, fileId);
        const page = await readRejectedPage(services.pool, file, options);
        if (options.json) {
          printJson({ fileId: file.id, ...page });
          return;
        }
        const rows = page.rejected.map((r) => [r.line, r.code, r.reason, cell(r.raw)]);
        process.stdout.write(`${table(['LINE', 'CODE', 'REASON', 'RAW'], rows)}\n`);
        process.stderr.write(
          `${page.total} rejected rows recorded (${page.rejectedRows} rejected in all)${page.nextOffset === null ? '' : `; next: --offset ${page.nextOffset}`}\n`,
        );
      }),
    );

  program
    .command('materialize')
    .description(
      'load a file into a table of typed columns for SQL (one transaction, COPY; as the database owner)',
    )
    .argument('<fileId>', 'file id')
    .requiredOption('--table <schema.table>', 'the table to create (its schema is created when missing)')
    .addOption(new Option('--replace', 'drop the table first if it exists').conflicts('append'))
    .option('--append', 'add the rows to the table if it exists (columns matched by name)')
    .option('--columns <a,b>', 'only these columns of the file, in this order')
    .addOption(
      new Option(
        '--where-type-fails <policy>',
        'with --append, a value that does not fit its column: text turns the column into text first, null loads NULL, error stops',
      )
        .choices(TYPE_FAILURE_POLICIES)
        .default('text'),
    )
    .option('--json', 'as JSON')
    .action(
      async (
        fileId: string,
        options: {
          table: string;
          replace?: boolean;
          append?: boolean;
          columns?: string;
          whereTypeFails: (typeof TYPE_FAILURE_POLICIES)[number];
          json?: boolean;
        },
      ) =>
        withServices(async (services) => {
          const organizationId = await fileOrganizationId(services, fileId);
          const result = await materializeFile(services, organizationId, fileId, {
            table: options.table,
            mode: options.replace ? 'replace' : options.append ? 'append' : 'create',
            whereTypeFails: options.whereTypeFails,
            ...(options.columns !== undefined && { columns: parseColumnList(options.columns) }),
          });
          if (options.json) {
            printJson(result);
            return;
          }
          process.stdout.write(
            `${result.mode === 'append' ? 'appended' : 'loaded'} ${result.rows} rows into ${result.table} in ${result.seconds.toFixed(2)} s\n` +
              `${table(
                ['COLUMN', 'TYPE'],
                result.columns.map((c) => [c.name, c.type]),
              )}\n`,
          );
          for (const name of result.textColumns)
            process.stdout.write(
              `column ${name} stays text: its values are not all integer, decimal, boolean, date or timestamp\n`,
            );
          for (const name of result.alteredToText)
            process.stdout.write(
              `column ${name} of ${result.table} was changed to text: some values do not fit its type\n`,
            );
          if (result.nulledValues > 0)
            process.stdout.write(
              `${result.nulledValues} values that did not fit their column were loaded as NULL\n`,
            );
        }),
    );
}

/** A value as one table cell: line breaks and tabs shown, long values cut. */
function cell(value: string): string {
  const flat = value.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}
