import { IngestError } from './errors.js';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses `1048576`, `512KB`, `4MiB`, `1.5g` (binary units: 1 KB = 1024 bytes). */
export function parseByteSize(text: string): number {
  const [, amount, suffix = ''] = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text) ?? [];
  const key = suffix.toLowerCase();
  // Own keys only: `1constructor` must not find Object.prototype.constructor.
  const unit = Object.hasOwn(UNITS, key) ? UNITS[key] : undefined;
  if (amount === undefined || unit === undefined) {
    throw new IngestError(
      'INVALID_OPTION',
      `not a size: ${JSON.stringify(text)} (use e.g. 1048576, 512KB, 4MB, 1GB)`,
    );
  }
  return Math.round(Number(amount) * unit);
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (Math.abs(value) >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 || Number.isInteger(value) ? value : value.toFixed(1)} ${units[i]}`;
}

/** Parses a duration like `30d`, `12h`, `90m`, `45s` into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text);
  if (!match)
    throw new IngestError(
      'INVALID_OPTION',
      `not a duration: ${JSON.stringify(text)} (use e.g. 30d, 12h, 90m)`,
    );
  const factor = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }[match[2] as 'ms'];
  return Number(match[1]) * factor;
}
