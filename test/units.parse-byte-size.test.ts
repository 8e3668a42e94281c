import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../src/units.js';

describe('parseByteSize', () => {
  it('reads plain byte counts and binary units in any case', () => {
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize(' 512KB ')).toBe(512 * 1024);
    expect(parseByteSize('4MiB')).toBe(4 * 1024 ** 2);
    expect(parseByteSize('1.5g')).toBe(1.5 * 1024 ** 3);
  });

  it('refuses unknown units, including names that only an object prototype has', () => {
    for (const text of ['', 'MB', '12 parsecs', '1constructor', '1 toString', '-1KB']) {
      expect(() => parseByteSize(text), text).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    }
  });
});
