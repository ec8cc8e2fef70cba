/**
 * Subaccount key → ordinal (0, 1, 2, … in first-seen order), for the risk book (./riskbook.ts).
 *
 * Why not a `Map<string, number>`: the book's build inserts every subaccount key of the state
 * (a million at the bench's scale), and a Map that size grows by doubling, rehashing all of it
 * each time, and keeps ~30 bytes per entry on the JS heap. Here the table is open addressing
 * over typed arrays (linear probing, at most half full), sized once from the known count when
 * the build reserves it, with each key's hash kept so growth never rehashes a string; the keys
 * themselves are the state's own strings, held once in ordinal order. Measured standalone with
 * 1.1 M keys: ~0.3 s of inserts against ~0.5–0.7 s for the Map, and ~17 instead of ~30 MB.
 * Nothing is ever removed (the book's ordinals never shrink).
 */
export class KeyOrdinals {
  /** key of each ordinal */
  private readonly keys: string[] = [];
  /** hash of each ordinal's key */
  private hashes = new Int32Array(0);
  /** ordinal + 1 per table slot (0: empty); its length is a power of two ≥ 2 × size */
  private table = new Int32Array(0);
  private mask = -1;

  /** Number of keys (= the next ordinal). */
  get size(): number {
    return this.keys.length;
  }

  /** Room for `n` keys in all, so adding up to them never grows the table. */
  reserve(n: number): void {
    if (n > this.hashes.length) {
      const h = new Int32Array(n);
      h.set(this.hashes.subarray(0, this.keys.length));
      this.hashes = h;
    }
    let len = 16;
    while (len < 2 * n) len *= 2;
    if (len > this.table.length) this.rehash(len);
  }

  /** The ordinal of `key`, or undefined. */
  get(key: string): number | undefined {
    if (this.mask < 0) return undefined;
    const h = hashOf(key);
    const { table, hashes, keys, mask } = this;
    for (let j = h & mask; ; j = (j + 1) & mask) {
      const v = table[j]!;
      if (v === 0) return undefined;
      if (hashes[v - 1] === h && keys[v - 1] === key) return v - 1;
    }
  }

  /** The ordinal of `key`, given the next one if it has none. */
  add(key: string): number {
    const n = this.keys.length;
    if (2 * (n + 1) > this.table.length || n >= this.hashes.length) this.reserve(Math.max(n + 1, 2 * n));
    const h = hashOf(key);
    const { table, hashes, keys, mask } = this;
    let j = h & mask;
    for (; ; j = (j + 1) & mask) {
      const v = table[j]!;
      if (v === 0) break;
      if (hashes[v - 1] === h && keys[v - 1] === key) return v - 1;
    }
    table[j] = n + 1;
    hashes[n] = h;
    keys.push(key);
    return n;
  }

  /** The key of ordinal `o`. */
  keyOf(o: number): string {
    return this.keys[o]!;
  }

  private rehash(len: number): void {
    const table = new Int32Array(len);
    const mask = len - 1;
    for (let o = 0; o < this.keys.length; o++) {
      let j = this.hashes[o]! & mask;
      while (table[j] !== 0) j = (j + 1) & mask;
      table[j] = o + 1;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** FNV-1a over the UTF-16 code units, with a final mix so linear probing sees spread low bits. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}
