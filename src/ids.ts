const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `text` is a UUID (file, organization and key ids). Checked before a look-up, so a malformed id
 * is simply not found, never a database error.
 */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}
