import { IngestError, isIngestError } from '../errors.js';

/** Exit codes: 0 every file succeeded, 1 something failed, 2 the command line was wrong, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** One clear line for a user; the stack only with --verbose. */
export function describeError(err: unknown, verbose: boolean): string {
  const e = isIngestError(err)
    ? err
    : new IngestError('INTERNAL', (err as Error)?.message ?? String(err), {}, { cause: err });
  const where = [e.context.file && !e.message.includes(String(e.context.file)) ? e.context.file : undefined]
    .filter(Boolean)
    .join(' ');
  let text = `error ${e.code}: ${where ? `${where}: ` : ''}${e.message}`;
  if (verbose) {
    text += `\n${e.stack ?? ''}`;
    if (e.cause instanceof Error) text += `\ncaused by: ${e.cause.stack ?? e.cause.message}`;
  }
  return text;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

/** A time for a table cell: ISO 8601 to the second, `2026-01-31T12:00:00Z`. */
export function shortTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
