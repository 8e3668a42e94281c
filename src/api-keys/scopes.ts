import { IngestError } from '../errors.js';

/** What an API key may do: read files and metrics, upload, delete. Checked per endpoint. */
export const SCOPES = ['files:read', 'files:write', 'files:delete'] as const;

export type Scope = (typeof SCOPES)[number];

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** Parses a comma-separated scope list (`files:read,files:write`), naming any unknown scope. */
export function parseScopes(list: string): Scope[] {
  const scopes = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new IngestError(
      'INVALID_OPTION',
      `scopes must be a comma-separated list of ${SCOPES.join(', ')}, got ${JSON.stringify(list)}`,
      { option: 'scopes' },
    );
  }
  return scopes as Scope[];
}
