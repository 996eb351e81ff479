/**
 * A hash table from trace id to value, for the sampler's one-entry-per-trace churn: every trace
 * is inserted once, replaced once (buffer -> decision) and deleted once, a few hundred thousand
 * times a second. A `Map` does this with ordered, chained tables that V8 rebuilds as deleted
 * entries pile up; this table uses open addressing with linear probing over two flat arrays and
 * backward-shift deletion (no tombstones, nothing rebuilt but on growth), about 2-3x faster
 * for this pattern.
 *
 * The hash covers every character of the id and is seeded per table (a random seed the caller
 * cannot see), which makes trace ids chosen by a remote caller (a `traceparent` header) hard
 * to craft into collisions; it is not a cryptographic hash, and a table bounded by the
 * processor's limits degrades to slower lookups, never to unbounded growth. The load factor stays at
 * or below 1/2: the table doubles when it would exceed it, and never shrinks (its size is
 * bounded by the processor's own limits).
 */
export class TraceTable<V> {
  private keys: (string | undefined)[];
  private vals: (V | undefined)[];
  /** The hash of each occupied slot's key (so deletion and growth never rehash). */
  private hashes: Int32Array;
  private mask: number;
  private count = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.keys = new Array(cap).fill(undefined);
    this.vals = new Array(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * The hash of a key. The `...With` methods take it precomputed, so a caller touching one key
   * several times (insert, replace, delete) hashes it once.
   */
  hash(key: string): number {
    let h = this.seed ^ key.length;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    return h ^ (h >>> 15);
  }

  /** The slot holding `key`, or `-1 - slot` of the empty slot where it would go. */
  private find(key: string, h: number): number {
    const keys = this.keys;
    const hashes = this.hashes;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined) return -1 - i;
      // Hashes first: comparing two different id strings reads both (memory far away).
      if (hashes[i] === h && k === key) return i;
      i = (i + 1) & mask;
    }
  }

  get(key: string): V | undefined {
    return this.getWith(key, this.hash(key));
  }

  getWith(key: string, h: number): V | undefined {
    const i = this.find(key, h);
    return i < 0 ? undefined : this.vals[i];
  }

  has(key: string): boolean {
    return this.find(key, this.hash(key)) >= 0;
  }

  /** Entries in slot order (for inspection; not for the hot path). */
  *entries(): IterableIterator<[string, V]> {
    const keys = this.keys;
    const vals = this.vals;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k !== undefined) yield [k, vals[i] as V];
    }
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  set(key: string, value: V): void {
    this.setWith(key, this.hash(key), value);
  }

  setWith(key: string, h: number, value: V): void {
    let i = this.find(key, h);
    if (i >= 0) {
      this.vals[i] = value;
      return;
    }
    if ((this.count + 1) * 2 > this.keys.length) {
      this.grow();
      i = this.find(key, h);
    }
    i = -1 - i;
    this.keys[i] = key;
    this.vals[i] = value;
    this.hashes[i] = h;
    this.count++;
  }

  delete(key: string): boolean {
    return this.deleteWith(key, this.hash(key));
  }

  deleteWith(key: string, h: number): boolean {
    let i = this.find(key, h);
    if (i < 0) return false;
    const keys = this.keys;
    const vals = this.vals;
    const hashes = this.hashes;
    const mask = this.mask;
    this.count--;
    // Backward-shift: move later entries of the probe run into the hole when their home slot
    // is at or before it, so lookups never need tombstones.
    for (;;) {
      keys[i] = undefined;
      vals[i] = undefined;
      let j = i;
      for (;;) {
        j = (j + 1) & mask;
        const k = keys[j];
        if (k === undefined) return true;
        const home = hashes[j]! & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
          keys[i] = k;
          vals[i] = vals[j];
          hashes[i] = hashes[j]!;
          i = j;
          break;
        }
      }
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldHashes = this.hashes;
    const cap = oldKeys.length * 2;
    this.keys = new Array(cap).fill(undefined);
    this.vals = new Array(cap).fill(undefined);
    this.hashes = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i];
      if (k === undefined) continue;
      const h = oldHashes[i]!;
      const j = -1 - this.find(k, h);
      this.keys[j] = k;
      this.vals[j] = oldVals[i];
      this.hashes[j] = h;
    }
  }
}
