import { ensureOrganization } from '../../db/index.js';
import type { DialectOverrides, OnErrorPolicy } from '../../domain/index.js';
import { IngestError, isIngestError } from '../../errors.js';
import {
  type IngestResult,
  type IngestSource,
  ingest,
  isS3Url,
  openS3Source,
  uploadByteLimit,
} from '../../ingest/index.js';
import { formatBytes } from '../../units.js';
import { cliActor, withServices } from '../context.js';
import { describeError, EXIT, printJson } from '../output.js';
import { ProgressBar } from '../progress-bar.js';

export interface IngestCommandOptions {
  org: string;
  audit?: string;
  json?: boolean;
  onError?: OnErrorPolicy;
  /** --delimiter, --quote, --escape, --comment, --no-header, --header-row, --skip-rows, --encoding. */
  dialect?: DialectOverrides;
  maxErrors?: number;
  chunkSize?: number;
  maxRecordSize?: number;
  workers?: number;
  gzipLevel?: number;
  verbose?: boolean;
}

/** `ingest <file|s3://bucket/key ...> --org <slug>`: ingests each in turn; exit 1 if any failed. */
export async function ingestFilesCommand(
  paths: string[],
  options: IngestCommandOptions,
  signal: AbortSignal,
): Promise<number> {
  return withServices(
    async (services) => {
      const { organization, created } = await ensureOrganization(services.pool, options.org);
      if (created) process.stderr.write(`created organization ${organization.slug}\n`);
      let exitCode: number = EXIT.ok;
      for (const path of paths) {
        const bar = new ProgressBar(path);
        try {
          const source: IngestSource = isS3Url(path)
            ? await openS3Source(path, services.config, { signal })
            : { kind: 'path', path };
          const byteLimit = await uploadByteLimit(
            services.pool,
            organization.id,
            services.config.maxUploadBytes,
          );
          const result = await ingest(services, source, {
            organization: { id: organization.id, slug: organization.slug },
            ...(options.audit !== undefined && { audit: options.audit }),
            // --max-errors only makes sense when bad rows are skipped.
            onError: options.onError ?? (options.maxErrors !== undefined ? 'skip' : 'strict'),
            ...(options.maxErrors !== undefined && { maxErrors: options.maxErrors }),
            ...(options.dialect && Object.keys(options.dialect).length > 0 && { dialect: options.dialect }),
            ...(options.chunkSize !== undefined && { chunkBytes: options.chunkSize }),
            ...(options.maxRecordSize !== undefined && { maxRecordBytes: options.maxRecordSize }),
            ...(options.gzipLevel !== undefined && { gzipLevel: options.gzipLevel }),
            byteLimit,
            actor: { name: cliActor() },
            signal,
            onProgress: (p) => bar.update(p.bytes, p.totalBytes, p.phase),
          });
          bar.clear();
          if (options.json) printJson(result);
          else process.stderr.write(`${summary(result)}\n`);
        } catch (err) {
          bar.clear();
          exitCode = EXIT.failed;
          if (options.json) {
            const e = isIngestError(err)
              ? err
              : new IngestError('INTERNAL', String((err as Error)?.message ?? err));
            printJson({
              filename: path,
              error: { code: e.code, message: e.message, line: e.context.line ?? null },
            });
          }
          if (!options.json || options.verbose)
            process.stderr.write(`${describeError(err, Boolean(options.verbose))}\n`);
          if (signal.aborted) return EXIT.interrupted;
        }
      }
      return exitCode;
    },
    options.workers !== undefined ? { threads: options.workers } : {},
  );
}

function summary(r: IngestResult): string {
  if (r.duplicate) return `${r.filename}: already ingested as file ${r.fileId} (duplicate, nothing to do)`;
  const rejected =
    (r.rejectedRows ? `, ${r.rejectedRows.toLocaleString('en-US')} rejected` : '') +
    (r.repairedRows ? `, ${r.repairedRows.toLocaleString('en-US')} repaired` : '');
  const rate = r.seconds > 0 && r.bytes >= 1e6 ? ` (${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s)` : '';
  return (
    `${r.filename}: file ${r.fileId}: ${r.rows.toLocaleString('en-US')} rows${rejected}, ${r.columns} columns, ` +
    `${r.chunks} chunks, ${formatBytes(r.bytes)} -> ${formatBytes(r.storedBytes)} stored, ${r.seconds.toFixed(2)} s${rate}`
  );
}
