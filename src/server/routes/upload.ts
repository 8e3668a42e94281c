import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { DialectOverrides } from '../../domain/index.js';
import { IngestError, isIngestError } from '../../errors.js';
import { type IngestOptions, type IngestSource, ingest } from '../../ingest/index.js';
import { runAdmittedUpload } from '../admitted-upload.js';
import { type Api, actorOf, guard, principalOf, type RouteContext } from '../context.js';
import {
  booleanOption,
  booleanOptionValue,
  characterOption,
  choiceOption,
  integerOption,
  textOption,
} from '../option-schemas.js';
import { declaredLength, uploadSource } from '../upload-source.js';
import { runAsyncUpload } from './async-upload.js';

/**
 * `POST /v1/files` (files:write): the body streams into ingest(). 201 with the IngestResult (the CLI's
 * --json object), 200 when the bytes were already ingested (`duplicate: true`). Query parameters:
 * filename, audit, on_error (strict | skip | lenient), max_errors (implies skip), and the dialect overrides
 * delimiter, quote, escape, comment, header (false: no header), header_row, skip_rows, encoding.
 */
export function uploadRoutes(app: Api, ctx: RouteContext): void {
  app.post(
    '/v1/files',
    { schema: { querystring: uploadQuery }, onRequest: guard(ctx, 'files:write') },
    async (request, reply) => {
      const declared = declaredLength(request);
      const jobs = ctx.jobs;
      if (
        jobs &&
        (booleanOptionValue(request.query.async, false) ||
          (declared !== undefined && declared > jobs.asyncThresholdBytes))
      ) {
        return runAsyncUpload(ctx, jobs, request, reply, uploadParams(request.query));
      }
      return runUpload(ctx, request, reply, request.query, async (byteLimit, options, signal) =>
        uploadSource(request, options.filename, byteLimit, signal),
      );
    },
  );
}

/** The query parameters of an upload (and of an import): filename, audit, on_error, max_errors. */
export const uploadQuery = Type.Object({
  filename: Type.Optional(textOption()),
  audit: Type.Optional(textOption(200)),
  on_error: Type.Optional(choiceOption(['strict', 'skip', 'lenient'])),
  max_errors: Type.Optional(integerOption(0, Number.MAX_SAFE_INTEGER)),
  /** Ingest in a job: answer 202 with `Location: /v1/jobs/:id` once the bytes are stored. */
  async: Type.Optional(booleanOption()),
  delimiter: Type.Optional(characterOption()),
  quote: Type.Optional(characterOption()),
  escape: Type.Optional(characterOption()),
  comment: Type.Optional(characterOption()),
  header: Type.Optional(booleanOption()),
  header_row: Type.Optional(integerOption(1, 1_000_000)),
  skip_rows: Type.Optional(integerOption(0, 1_000_000)),
  encoding: Type.Optional(choiceOption(['utf-8', 'windows-1252', 'utf-16le', 'utf-16be'])),
});

function uploadParams(query: Static<typeof uploadQuery>): UploadParams {
  return {
    filename: query.filename,
    audit: query.audit,
    onError: query.on_error,
    maxErrors: query.max_errors,
    dialect: dialectOverrides(query),
  };
}

/** The query parameters of an upload, as runUpload() reads them. */
export interface UploadParams {
  filename: string | undefined;
  audit: string | undefined;
  onError: 'strict' | 'skip' | 'lenient' | undefined;
  maxErrors: number | undefined;
  dialect: DialectOverrides;
}

/** The dialect overrides of an upload's query string. */
function dialectOverrides(query: Static<typeof uploadQuery>): DialectOverrides {
  const overrides: DialectOverrides = {};
  if (query.delimiter !== undefined) overrides.delimiter = characterValue(query.delimiter);
  if (query.quote !== undefined) overrides.quote = query.quote;
  if (query.escape !== undefined) overrides.escape = query.escape;
  if (query.comment !== undefined) overrides.comment = query.comment;
  if (query.header !== undefined && !booleanOptionValue(query.header, true)) overrides.header = false;
  if (query.header_row !== undefined) overrides.headerRow = query.header_row;
  if (query.skip_rows !== undefined) overrides.skipRows = query.skip_rows;
  if (query.encoding !== undefined) overrides.encoding = query.encoding;
  return overrides;
}

/** `tab` and `space` name the characters a query string makes awkward. */
const characterValue = (text: string): string => (text === 'tab' ? '\t' : text === 'space' ? ' ' : text);

/**
 * Runs one upload into ingest() with the query its route schema validated: admits it (uploads in flight
 * per organization and key), works out the byte limit (maximum upload size or quota left), opens the
 * source with its bytes held against the organization's quota and spool budget, ingests under the
 * request's cancellation (a body that stalls or trickles is cut with UPLOAD_TOO_SLOW), and answers 201,
 * or 200 for a duplicate. Shared by `POST /v1/files` (the body) and `POST /v1/files/import` (an object
 * in a bucket).
 */
export async function runUpload(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  query: Static<typeof uploadQuery>,
  openSource: (
    byteLimit: NonNullable<IngestOptions['byteLimit']>,
    params: UploadParams,
    signal: AbortSignal,
  ) => Promise<IngestSource>,
): Promise<FastifyReply> {
  const principal = principalOf(request);
  const params = uploadParams(query);
  return runAdmittedUpload(
    ctx,
    request,
    reply,
    async ({ byteLimit, signal, hold }) => {
      const source = hold(await openSource(byteLimit, params, signal));
      const result = await ingest(ctx.services, source, {
        organization: { id: principal.organizationId, slug: principal.organizationSlug },
        ...(params.audit !== undefined && { audit: params.audit }),
        onError: params.onError ?? (params.maxErrors !== undefined ? 'skip' : 'strict'),
        ...(params.maxErrors !== undefined && { maxErrors: params.maxErrors }),
        ...(Object.keys(params.dialect).length > 0 && { dialect: params.dialect }),
        byteLimit,
        actor: actorOf(request),
        signal,
      });
      return reply.code(result.duplicate ? 200 : 201).send(result);
    },
    (err, signal) => {
      // The pipeline reports an abort as CANCELLED; the server's own reasons (shutting down, a body too
      // slow) are what the client is told.
      const reason: unknown = signal.reason;
      if (signal.aborted && isIngestError(reason) && reason.code !== 'CANCELLED') {
        if (reason.code === 'UPLOAD_TOO_SLOW') closeAfterResponse(request, reply);
        return reason;
      }
      return err instanceof Error ? err : new IngestError('INTERNAL', String(err));
    },
  );
}

/** A client too slow to send its body is not waited on to read the rest: the socket goes once answered. */
function closeAfterResponse(request: FastifyRequest, reply: FastifyReply): void {
  reply.raw.once('finish', () => request.raw.socket.destroy());
}
