import type { FastifySchemaValidationError } from 'fastify';
import { IngestError } from '../errors.js';

/** What Ajv adds to an error in verbose mode (app.ts turns it on): the value and the schema it failed. */
interface VerboseError extends FastifySchemaValidationError {
  data?: unknown;
  parentSchema?: { description?: string; required?: string[] };
}

/** Longest part of a bad value a message repeats: the value is the client's, of any length. */
const SHOWN_CHARS = 100;

/**
 * The one place a failed route schema becomes an error response: 400 INVALID_OPTION naming the option and
 * the value it had, `{"option": <name>}` in the context, like every other refused option. Set as Fastify's
 * schemaErrorFormatter; the error handler answers it as any IngestError. `dataVar` is the part that failed:
 * params, querystring or body.
 */
export function schemaError(errors: FastifySchemaValidationError[], dataVar: string): IngestError {
  // Ajv stops at the first failure; only a union (anyOf) adds errors, and ends with its own, the one to name.
  const error = errors[errors.length - 1] as VerboseError | undefined;
  const must = error?.parentSchema?.description ?? error?.message ?? 'valid';
  const missing = error?.params.missingProperty;
  if (typeof missing === 'string') {
    return new IngestError('INVALID_OPTION', `${missing} is required: the ${dataVar} must be ${must}`, {
      option: missing,
    });
  }
  const path = error?.instancePath.split('/').filter(Boolean) ?? [];
  // A whole body of the wrong kind lacks the option the body exists for (the first required one).
  const option = path[0] ?? error?.parentSchema?.required?.[0] ?? dataVar;
  const what = path.length > 0 ? option : `the ${dataVar}`;
  return new IngestError('INVALID_OPTION', `${what} must be ${must}, got ${shown(error?.data)}`, { option });
}

/** A value as a message repeats it: JSON for text, numbers and lists, never a whole object or stream. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? 'an object'
      : JSON.stringify(value);
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}...` : text;
}
