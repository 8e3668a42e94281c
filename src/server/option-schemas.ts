import { type TSchema, Type } from 'typebox';

/*
 * Schemas of single query-string options, as route schemas use them. A query string is text: each schema
 * checks the text as the client spelled it (digits only for an integer, no sign, exponent or spaces), so
 * Ajv's looser coercions ("1e3", " 5", "0x10") never reach a handler. Each `description` completes the
 * sentence "<option> must be ...", which schema-error.ts turns into the 400 INVALID_OPTION message.
 */

/** Text given once (a repeated option arrives as an array and fails the type), 1-`maxLength` characters. */
export function textOption(maxLength = 255) {
  return Type.String({ minLength: 1, maxLength, description: `given once, 1-${maxLength} characters` });
}

/**
 * A decimal integer from `min` to `max`, which the handler receives as a number: the first branch checks
 * the text (at most 20 digits), the second coerces it to a number and checks the range. Ajv applies them
 * in order, each branch carrying the description because an error names the branch it failed in.
 */
export function integerOption(min: number, max: number) {
  const description = `an integer from ${min} to ${max}`;
  return Type.Unsafe<number>({
    description,
    allOf: [
      { type: 'string', pattern: '^\\d{1,20}$', description },
      { type: 'integer', minimum: min, maximum: max, description },
    ],
  } as TSchema);
}

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

/** Any letter case: JSON Schema patterns have no flags, so each letter is a class of both cases. */
const anyCase = (word: string) => word.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`);

/** `true`/`1`/`yes` or `false`/`0`/`no` in any letter case; read it with booleanOptionValue(). */
export function booleanOption() {
  return Type.String({
    pattern: `^(?:${[...TRUE_WORDS, ...FALSE_WORDS].map(anyCase).join('|')})$`,
    description: 'true or false',
  });
}

/** The value of an option booleanOption() accepted; `fallback` when absent. */
export function booleanOptionValue(text: string | undefined, fallback: boolean): boolean {
  return text === undefined ? fallback : TRUE_WORDS.includes(text.toLowerCase());
}

/** One of `choices`. */
export function choiceOption<const T extends string>(choices: readonly T[]) {
  return Type.Enum([...choices], { description: `one of ${choices.join(', ')}` });
}

/** One character, or `tab` / `space` (a delimiter, quote, escape or comment character). */
export function characterOption() {
  return Type.String({ pattern: '^(?:[^\\r\\n]|tab|space)$', description: 'one character, tab or space' });
}
