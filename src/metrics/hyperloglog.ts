/**
 * A mergeable HyperLogLog distinct-count sketch over 32-bit hashes.
 *
 * Precision p = 12 (4096 registers): standard error 1.04 / sqrt(4096) = 1.6%, and a dense sketch is 4 KiB,
 * so even a 2,000-column file's merged sketches stay under 8 MiB. p = 14 would halve the error for 4x the
 * bytes on every chunk snapshot; dashboards do not need better than a couple of percent.
 *
 * Sparse form: while a column has at most HLL_SPARSE_LIMIT distinct hashes, the snapshot holds the sorted
 * hashes themselves (4 bytes each, so never larger than the 4 KiB dense form). That makes small counts
 * exact rather than estimated (a 7-value category column reports 7), and converting to registers later
 * loses nothing, because the hash determines the register and rank. Both forms merge associatively: sparse
 * merge is set union, dense merge is register-wise max, and the union of two sets turns dense exactly when
 * a single sketch over all values would have, so any grouping of merges ends in the same state.
 *
 * Accuracy range, honestly: the sketch counts distinct 32-bit hashes, so two values whose hashes collide
 * count once. Expected collisions are n^2 / 2^33: 0.01% of n at 1M distinct values, 0.12% at 10M, 1.2% at
 * 100M. Up to ~10^8 distinct values per column the 1.6% sketch error dominates; beyond that estimates
 * read low. A 64-bit hash would lift that limit at about twice the hashing cost per value.
 */

export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
/** Hash bits left after the register index; a register holds 1 + leading zeros of these, at most 21. */
const RANK_BITS = 32 - HLL_PRECISION;
const MAX_RANK = RANK_BITS + 1;
/** A sparse sketch of this many 4-byte hashes is as large as the dense registers. */
export const HLL_SPARSE_LIMIT = HLL_REGISTERS / 4;
/** First open-addressing table size; tiny because a 2,000-column builder holds one table per column. */
const INITIAL_TABLE_SIZE = 16;
/** The table of a dense accumulator, which has let go of its hashes. */
const NO_TABLE = new Uint32Array(0);

/** A sketch as it travels between threads: plain typed arrays, no classes (structured clone). */
export type HllSnapshot =
  | { kind: 'sparse' /** Distinct non-zero hashes, ascending. */; hashes: Uint32Array }
  | { kind: 'dense' /** HLL_REGISTERS ranks. */; registers: Uint8Array };

/**
 * The sketch hash of a value: MurmurHash3 x86_32 over the string's UTF-16 code units (two per 32-bit block,
 * i.e. its UTF-16LE bytes), never 0 (0 marks an empty slot).
 *
 * Measured on the 2-core AMD EPYC development machine, Node 20, 1M mixed CSV values averaging 12 chars:
 * this function 26 ns/value, FNV-1a + fmix32 41 ns, xxhash-wasm h32(string) 83 ns, h64 128 ns (the wasm
 * call and UTF-8 encoding dominate short strings). A cheaper one-multiply-per-block hash ran at 26 ns too
 * but collided 200x more often on sequential integers, which would bias counts of id columns; MurmurHash3
 * collided as often as a random function (454 vs 466 expected among 2M values).
 */
export function hashValue(value: string): number {
  let h = 0x9747b28c;
  const n = value.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = value.charCodeAt(i) | (value.charCodeAt(i + 1) << 16);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = value.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n << 1;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0 || 1;
}

function addToRegisters(registers: Uint8Array, hash: number): void {
  const index = hash >>> RANK_BITS;
  // The set bit just below the rank bits caps the count of leading zeros at RANK_BITS.
  const rank = Math.clz32((hash << HLL_PRECISION) | (1 << (HLL_PRECISION - 1))) + 1;
  // index < HLL_REGISTERS, the registers' length: it is the hash's top HLL_PRECISION bits.
  if (rank > registers[index]!) registers[index] = rank;
}

/** The mutable sketch a stats builder feeds; `snapshot()` gives the plain form. */
export class HllAccumulator {
  /** Open-addressing set of distinct hashes (0 = empty slot) while sparse; NO_TABLE once dense. */
  private table: Uint32Array = new Uint32Array(INITIAL_TABLE_SIZE);
  private size = 0;
  /** The dense registers; null while sparse. */
  private registers: Uint8Array | null = null;

  add(hash: number): void {
    const registers = this.registers;
    if (registers !== null) {
      addToRegisters(registers, hash);
      return;
    }
    const table = this.table;
    const mask = table.length - 1;
    let slot = hash & mask;
    for (;;) {
      const current = table[slot];
      if (current === hash) return;
      if (current === 0) break;
      slot = (slot + 1) & mask;
    }
    table[slot] = hash;
    this.size++;
    // Half-full keeps probe chains short; the table is at most 2 * HLL_SPARSE_LIMIT slots (8 KiB).
    if (this.size * 2 > table.length) this.grow(table);
  }

  snapshot(): HllSnapshot {
    if (this.registers !== null) return { kind: 'dense', registers: this.registers.slice() };
    const hashes = new Uint32Array(this.size);
    let j = 0;
    for (const hash of this.table) if (hash !== 0) hashes[j++] = hash;
    return { kind: 'sparse', hashes: hashes.sort() };
  }

  private grow(table: Uint32Array): void {
    if (this.size > HLL_SPARSE_LIMIT) {
      const registers = new Uint8Array(HLL_REGISTERS);
      for (const hash of table) if (hash !== 0) addToRegisters(registers, hash);
      this.registers = registers;
      this.table = NO_TABLE;
      return;
    }
    const next = new Uint32Array(table.length * 2);
    const mask = next.length - 1;
    for (const hash of table) {
      if (hash === 0) continue;
      let slot = hash & mask;
      while (next[slot] !== 0) slot = (slot + 1) & mask;
      next[slot] = hash;
    }
    this.table = next;
  }
}

export function emptyHll(): HllSnapshot {
  return { kind: 'sparse', hashes: new Uint32Array(0) };
}

/** The dense registers of any sketch (a sparse one is converted, losing nothing but exactness of the count). */
export function hllRegisters(sketch: HllSnapshot): Uint8Array {
  if (sketch.kind === 'dense') return sketch.registers.slice();
  const registers = new Uint8Array(HLL_REGISTERS);
  for (const hash of sketch.hashes) addToRegisters(registers, hash);
  return registers;
}

/** The sketch of the union of both inputs' values. Pure: inputs are never modified (the result may share them). */
export function mergeHll(a: HllSnapshot, b: HllSnapshot): HllSnapshot {
  if (a.kind === 'sparse' && b.kind === 'sparse') {
    if (b.hashes.length === 0) return a;
    if (a.hashes.length === 0) return b;
    const union = unionSorted(a.hashes, b.hashes);
    if (union.length <= HLL_SPARSE_LIMIT) return { kind: 'sparse', hashes: union };
    return { kind: 'dense', registers: hllRegisters({ kind: 'sparse', hashes: union }) };
  }
  const registers = hllRegisters(a);
  if (b.kind === 'dense') {
    const other = b.registers;
    // i < HLL_REGISTERS, the length of both dense register arrays.
    for (let i = 0; i < HLL_REGISTERS; i++) if (other[i]! > registers[i]!) registers[i] = other[i]!;
  } else {
    for (const hash of b.hashes) addToRegisters(registers, hash);
  }
  return { kind: 'dense', registers };
}

/**
 * mergeHll for an accumulator that owns `a` (nothing else reads it any more): a dense `a` takes the
 * union in its own registers instead of a 4 KiB copy per merge.
 */
export function mergeHllInto(a: HllSnapshot, b: HllSnapshot): HllSnapshot {
  if (a.kind !== 'dense') return mergeHll(a, b);
  const registers = a.registers;
  if (b.kind === 'dense') {
    const other = b.registers;
    for (let i = 0; i < HLL_REGISTERS; i++) if (other[i]! > registers[i]!) registers[i] = other[i]!;
  } else {
    for (const hash of b.hashes) addToRegisters(registers, hash);
  }
  return a;
}

function unionSorted(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  // Each `!` reads below its array's length, as the loop conditions say.
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x < y) {
      out[k++] = x;
      i++;
    } else if (y < x) {
      out[k++] = y;
      j++;
    } else {
      out[k++] = x;
      i++;
      j++;
    }
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  // A copy, not a view, so a small result does not pin (or clone) the larger buffer.
  return out.slice(0, k);
}

/** The estimated number of distinct values, rounded; exact while the sketch is sparse. */
export function estimateHll(sketch: HllSnapshot): number {
  if (sketch.kind === 'sparse') return sketch.hashes.length;
  return Math.round(estimateRegisters(sketch.registers));
}

/**
 * Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017,
 * algorithm 6; Redis uses it since 5.0). Its sigma term is the linear-counting correction for small
 * cardinalities and its tau term handles saturated registers, so unlike the original estimator with a
 * switch at 2.5m it has no bias bump in the mid range and needs no empirical bias tables.
 */
function estimateRegisters(registers: Uint8Array): number {
  const m = HLL_REGISTERS;
  // One count per possible rank, 0..MAX_RANK (addToRegisters never stores more), so each `!` is in bounds.
  const histogram = new Float64Array(MAX_RANK + 1);
  for (const rank of registers) histogram[rank]!++;
  let z = m * tau((m - histogram[MAX_RANK]!) / m);
  for (let k = RANK_BITS; k >= 1; k--) z = 0.5 * (z + histogram[k]!);
  z += m * sigma(histogram[0]! / m);
  return ((0.5 / Math.LN2) * m * m) / z;
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (previous !== z);
  return z / 3;
}
