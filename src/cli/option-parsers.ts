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
