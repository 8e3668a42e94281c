import { type TSchema, Type } from 'typebox';
import { ROLES } from '../../domain/index.js';

/*
 * Body schemas of the people endpoints (members, organizations, keys, branding). Each `description`
 * completes "<field> must be ...", which schema-error.ts turns into the 400 INVALID_OPTION message.
 */

export const roleSchema = Type.Enum([...ROLES], { description: `one of ${ROLES.join(', ')}` });

/** A string matching `pattern` (1-`maxLength` characters) or null; JSON null is never coerced to "". */
export function nullableText(maxLength: number, description: string, pattern?: string) {
  return Type.Unsafe<string | null>({
    type: ['string', 'null'],
    minLength: 1,
    maxLength,
    ...(pattern !== undefined && { pattern }),
    description,
  } as TSchema);
}

export const slugSchema = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
  description: "1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit",
});
