import { IngestError } from '../errors.js';

/** A parsed query string as Fastify hands it over: strings, or arrays of them when repeated. */
export type QueryParams = Record<string, string | string[] | undefined>;

/** A single-valued text parameter, or undefined when absent. */
export function textParam(query: QueryParams, name: string, maxLength = 255): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value) || value.length === 0 || value.length > maxLength) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be given once, 1-${maxLength} characters, got ${JSON.stringify(value)}`,
      { option: name },
    );
  }
  return value;
}

/** An integer parameter within [min, max], or undefined when absent. */
export function integerParam(query: QueryParams, name: string, min: number, max: number): number | undefined {
  const value = textParam(query, name, 20);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new IngestError(
      'INVALID_OPTION',
      `${name} must be an integer from ${min} to ${max}, got ${value}`,
      {
        option: name,
      },
    );
  }
  return n;
}

/** `true`/`1`/`yes` or `false`/`0`/`no`; `fallback` when absent. */
export function booleanParam(query: QueryParams, name: string, fallback: boolean): boolean {
  const value = textParam(query, name, 5)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new IngestError('INVALID_OPTION', `${name} must be true or false, got ${value}`, { option: name });
}

/** One of `choices`, or undefined when absent. */
export function choiceParam<T extends string>(
  query: QueryParams,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = textParam(query, name, 50);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new IngestError('INVALID_OPTION', `${name} must be one of ${choices.join(', ')}, got ${value}`, {
      option: name,
    });
  }
  return value as T;
}
