import { basename } from 'node:path';

/** The name a file gets when its upload or import names none that survives cleaning. */
const DEFAULT_FILENAME = 'upload.csv';

/**
 * The file name ingest records for an upload or an import: the base name (after `/` or `\`), without
 * control characters (no CR/LF to split a header or a log line), at most 255 characters; the default when
 * nothing is left. One function for every way a name arrives, so no route stores a name another cleans.
 */
export function safeFilename(name: string | undefined): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  const cleaned = basename((name ?? '').replaceAll('\\', '/')).replace(/[\u0000-\u001f\u007f]/g, '');
  return cleaned.slice(0, 255) || DEFAULT_FILENAME;
}
