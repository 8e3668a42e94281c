import { InvalidArgumentError } from 'commander';
import { IngestError } from '../errors.js';
import { parseByteSize, parseDuration } from '../units.js';

/** Commander parsers: a bad value becomes a usage error (exit 2) naming what was expected. */
export function parseSizeOption(value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof IngestError ? err.message : String(err));
  }
}

export function parseDurationOption(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof IngestError ? err.message : String(err));
  }
}

export function parseIntegerOption(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** Names for characters a shell makes awkward to type. */
const CHARACTER_NAMES: Record<string, string> = { tab: '\t', '\\t': '\t', space: ' ', none: '' };

/** One character, or its name (`tab`, `\t`, `space`): a delimiter, quote, escape or comment character. */
export function parseCharacterOption(value: string): string {
  const character = CHARACTER_NAMES[value.toLowerCase()] ?? value;
  if ([...character].length !== 1)
    throw new InvalidArgumentError('expected one character (or tab, space), e.g. ";" or tab');
  return character;
}
