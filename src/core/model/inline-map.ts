/**
 * An ordered map that keeps up to four entries in its own fields, with a real `Map` for the rest;
 * `InlineMap2` is the same with two fields, for balances.
 *
 * Why: every subaccount holds two maps (balances, positions), almost always of one to four
 * entries. A `Map` costs ~182 B however few entries it holds (the JSMap plus its smallest
 * OrderedHashMap table); this object costs 104 B (header + 10 fields), and is one heap object
 * instead of two for the young-generation collector to copy while a snapshot decodes. At a
 * million accounts that is ~150 MiB of resident memory and ~2M fewer objects. Balances are
 * almost always one or two assets, so they take `InlineMap2` (72 B: header + 6 fields), another
 * ~30 MiB at a million; positions keep four slots (a venue's account often holds four markets).
 * Both share every method (`InlineMapBase`); only the slot accessors differ, so a call site that
 * sees both stays polymorphic over two classes, not megamorphic.
 *
 * Semantics are exactly `Map`'s, including live iteration: entries deleted before they are
 * reached are skipped, entries added during iteration are visited, a key deleted and set again
 * moves to the end. How, without a hash table's iterator transitions:
 *
 * - Inline slots never move while an iterator may be suspended on them. Deleting an inline
 *   entry leaves a hole; a new key goes to the next free inline slot, or — once all are
 *   used (holes included) or the overflow exists — to the overflow `Map`, after every inline
 *   slot, which is where iteration order puts it. The overflow's own iterators are `Map`'s.
 * - The map counts its live iterators (created and not yet done or returned). Only when none is
 *   live does it reclaim holes: trimming trailing ones on delete and, when a new key would
 *   otherwise overflow, packing every entry into the fields if they fit — or else moving them
 *   all into the overflow ("spilled"). A spilled map is a `Map` behind one indirection: every
 *   operation, `entries()`/`keys()`/`values()` included, is the `Map`'s own, so a subaccount
 *   with ten positions iterates at `Map` speed. It stays spilled (Map iterators handed out are
 *   not counted, so its entries never move back).
 *   Iterators have `return()` (Map's have none), so a `for…of` left by break releases the map.
 *   An iterator abandoned unfinished otherwise (`m.keys().next()`) keeps the count up for good;
 *   that map then never compacts — still correct, only larger.
 */

/** Marks a deleted inline slot. Private, so no caller's key can equal it. */
const HOLE: unique symbol = Symbol('InlineMap.hole');
type Slot<K> = K | typeof HOLE | undefined;

/** Inline slots in use (holes included) are `s & USED`; live iterators are `s >>> ITER_SHIFT`. */
const USED = 7;
const ITER_SHIFT = 3;
const ITER = 1 << ITER_SHIFT;

/** SameValueZero, `Map`'s key equality (NaN equals NaN; -0 was normalised to 0 on set). */
function same(a: unknown, b: unknown): boolean {
  // biome-ignore lint/suspicious/noSelfCompare: NaN test
  return a === b || (a !== a && b !== b);
}

/**
 * Everything but the slots past the first two: `InlineMap` (four) and `InlineMap2` (two) add
 * them and their accessors. The first two slots are fields here, at the same offsets in both.
 */
export abstract class InlineMapBase<K, V> implements Map<K, V> {
  protected k0: Slot<K> = undefined;
  protected v0: V | undefined = undefined;
  protected k1: Slot<K> = undefined;
  protected v1: V | undefined = undefined;
  /** Used inline slots | live iterators << ITER_SHIFT. */
  protected s = 0;
  /** Entries after the inline slots, in insertion order; only while all inline slots are used. */
  protected o: Map<K, V> | null = null;

  /** Inline slots of this class (2 or 4). A method, not a field: it costs no memory per map. */
  protected abstract inline(): number;

  /** @internal Key in inline slot i (HOLE or undefined if none). */
  abstract keyAt(i: number): Slot<K>;

  /** @internal Value in inline slot i. */
  abstract valueAt(i: number): V;

  protected abstract put(i: number, k: Slot<K>, v: V | undefined): void;

  protected abstract putValue(i: number, v: V): void;

  /** Inline slot of `key` past the first two, or -1 (only called when more than two are used). */
  protected findHigh(_key: unknown): number {
    return -1;
  }

  get size(): number {
    const n = this.s & USED;
    let c = 0;
    if (n > 0 && this.k0 !== HOLE) c++;
    if (n > 1 && this.k1 !== HOLE) c++;
    for (let i = 2; i < n; i++) if (this.keyAt(i) !== HOLE) c++;
    return this.o === null ? c : c + this.o.size;
  }

  /** Inline slot of `key`, or -1. */
  private find(key: unknown): number {
    const n = this.s & USED;
    if (n > 0 && same(this.k0, key)) return 0;
    if (n > 1 && same(this.k1, key)) return 1;
    return n > 2 ? this.findHigh(key) : -1;
  }

  /** @internal The overflow map, for iterators. */
  overflow(): Map<K, V> | null {
    return this.o;
  }

  /** @internal Inline slots in use, for iterators. */
  used(): number {
    return this.s & USED;
  }

  /** @internal An iterator began (it is live until done or returned). */
  iterStart(): void {
    this.s += ITER;
  }

  /** @internal An iterator finished. */
  iterEnd(): void {
    this.s -= ITER;
  }

  get(key: K): V | undefined {
    const i = this.find(key);
    if (i >= 0) return this.valueAt(i);
    return this.o === null ? undefined : this.o.get(key);
  }

  has(key: K): boolean {
    return this.find(key) >= 0 || this.o?.has(key) === true;
  }

  set(key: K, value: V): this {
    if ((key as unknown) === 0) key = 0 as K; // Map stores -0 as +0
    const i = this.find(key);
    if (i >= 0) {
      this.putValue(i, value);
      return this;
    }
    if (this.o !== null) {
      if ((this.s & USED) === 0 || this.s >= ITER || this.o.has(key)) this.o.set(key, value);
      else this.appendCompacting(key, value);
      return this;
    }
    const n = this.s & USED;
    if (n < this.inline()) {
      this.put(n, key, value);
      this.s++;
    } else if (this.s < ITER) this.appendCompacting(key, value);
    else this.o = new Map([[key, value]]);
    return this;
  }

  /**
   * Appends a new key with no iterator of ours live: all entries in the fields if they fit, else
   * all in the overflow (spilled, for good: a `Map` iterator handed out may be live on it).
   */
  private appendCompacting(key: K, value: V): void {
    const ks: K[] = [];
    const vs: V[] = [];
    const n = this.s & USED;
    for (let i = 0; i < n; i++) {
      const k = this.keyAt(i);
      if (k !== HOLE) {
        ks.push(k as K);
        vs.push(this.valueAt(i));
      }
    }
    if (this.o !== null)
      for (const [k, v] of this.o) {
        ks.push(k);
        vs.push(v);
      }
    ks.push(key);
    vs.push(value);
    const inline = this.inline();
    const m = ks.length <= inline ? ks.length : 0;
    for (let i = 0; i < inline; i++) this.put(i, i < m ? ks[i] : undefined, i < m ? vs[i] : undefined);
    this.s = m;
    if (m > 0) this.o = null;
    else {
      const o = new Map<K, V>();
      for (let i = 0; i < ks.length; i++) o.set(ks[i] as K, vs[i] as V);
      this.o = o;
    }
  }

  delete(key: K): boolean {
    const i = this.find(key);
    if (i < 0) {
      if (this.o === null || !this.o.delete(key)) return false;
      // A mixed map's emptied overflow goes (only our iterators reach it); a spilled map stays.
      if (this.o.size === 0 && this.s < ITER && (this.s & USED) !== 0) this.o = null;
      return true;
    }
    this.put(i, HOLE, undefined);
    if (this.s < ITER && this.o === null) {
      // No iterator can be suspended past these slots: give trailing holes back.
      let n = this.s & USED;
      while (n > 0 && this.keyAt(n - 1) === HOLE) this.put(--n, undefined, undefined);
      this.s = n;
    }
    return true;
  }

  clear(): void {
    if (this.o !== null && (this.s & USED) === 0) {
      this.o.clear(); // spilled: Map's own iterators may be live on it
      return;
    }
    if (this.s < ITER) {
      for (let i = 0; i < this.inline(); i++) this.put(i, undefined, undefined);
      this.s = 0;
      this.o = null;
      return;
    }
    // Live iterators: holes keep their positions; later entries land after them and are visited.
    const n = this.s & USED;
    for (let i = 0; i < n; i++) this.put(i, HOLE, undefined);
    this.o?.clear();
  }

  forEach(callback: (value: V, key: K, map: Map<K, V>) => void, thisArg?: unknown): void {
    this.s += ITER;
    try {
      for (let i = 0; i < (this.s & USED); i++) {
        const k = this.keyAt(i);
        if (k !== HOLE) callback.call(thisArg, this.valueAt(i), k as K, this);
      }
      const o = this.o;
      if (o !== null)
        o.forEach((v, k) => {
          callback.call(thisArg, v, k, this);
        });
    } finally {
      this.s -= ITER;
    }
  }

  entries(): MapIterator<[K, V]> {
    if (this.o !== null && (this.s & USED) === 0) return this.o.entries();
    return new InlineMapEntries<K, V>(this);
  }

  keys(): MapIterator<K> {
    if (this.o !== null && (this.s & USED) === 0) return this.o.keys();
    return new InlineMapKeys<K, V>(this);
  }

  values(): MapIterator<V> {
    if (this.o !== null && (this.s & USED) === 0) return this.o.values();
    return new InlineMapValues<K, V>(this);
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    if (this.o !== null && (this.s & USED) === 0) return this.o.entries();
    return new InlineMapEntries<K, V>(this);
  }

  get [Symbol.toStringTag](): string {
    return 'Map';
  }

  /** What `JSON.stringify` makes of a `Map` (`{}`), rather than the slots (bigints would throw). */
  toJSON(): Record<string, never> {
    return {};
  }
}

/** Four entries in fields (104 B), then a `Map`: a subaccount's positions. */
export class InlineMap<K, V> extends InlineMapBase<K, V> {
  private k2: Slot<K> = undefined;
  private v2: V | undefined = undefined;
  private k3: Slot<K> = undefined;
  private v3: V | undefined = undefined;

  constructor(entries?: Iterable<readonly [K, V]> | null) {
    super();
    if (entries != null) for (const [k, v] of entries) this.set(k, v);
  }

  /** A copy of `source` (a `Map` or an inline map), compacted. */
  static from<K, V>(source: ReadonlyMap<K, V>): InlineMap<K, V> {
    const m = new InlineMap<K, V>();
    source.forEach((v, k) => {
      m.set(k, v);
    });
    return m;
  }

  protected inline(): number {
    return 4;
  }

  protected override findHigh(key: unknown): number {
    const n = this.s & USED;
    if (same(this.k2, key)) return 2;
    if (n > 3 && same(this.k3, key)) return 3;
    return -1;
  }

  keyAt(i: number): Slot<K> {
    switch (i) {
      case 0:
        return this.k0;
      case 1:
        return this.k1;
      case 2:
        return this.k2;
      default:
        return this.k3;
    }
  }

  valueAt(i: number): V {
    switch (i) {
      case 0:
        return this.v0 as V;
      case 1:
        return this.v1 as V;
      case 2:
        return this.v2 as V;
      default:
        return this.v3 as V;
    }
  }

  protected put(i: number, k: Slot<K>, v: V | undefined): void {
    switch (i) {
      case 0:
        this.k0 = k;
        this.v0 = v;
        return;
      case 1:
        this.k1 = k;
        this.v1 = v;
        return;
      case 2:
        this.k2 = k;
        this.v2 = v;
        return;
      default:
        this.k3 = k;
        this.v3 = v;
    }
  }

  protected putValue(i: number, v: V): void {
    switch (i) {
      case 0:
        this.v0 = v;
        return;
      case 1:
        this.v1 = v;
        return;
      case 2:
        this.v2 = v;
        return;
      default:
        this.v3 = v;
    }
  }
}

/** Two entries in fields (72 B), then a `Map`: a subaccount's balances (one or two assets, mostly). */
export class InlineMap2<K, V> extends InlineMapBase<K, V> {
  constructor(entries?: Iterable<readonly [K, V]> | null) {
    super();
    if (entries != null) for (const [k, v] of entries) this.set(k, v);
  }

  /** A copy of `source` (a `Map` or an inline map), compacted. */
  static from<K, V>(source: ReadonlyMap<K, V>): InlineMap2<K, V> {
    const m = new InlineMap2<K, V>();
    source.forEach((v, k) => {
      m.set(k, v);
    });
    return m;
  }

  protected inline(): number {
    return 2;
  }

  keyAt(i: number): Slot<K> {
    return i === 0 ? this.k0 : this.k1;
  }

  valueAt(i: number): V {
    return (i === 0 ? this.v0 : this.v1) as V;
  }

  protected put(i: number, k: Slot<K>, v: V | undefined): void {
    if (i === 0) {
      this.k0 = k;
      this.v0 = v;
    } else {
      this.k1 = k;
      this.v1 = v;
    }
  }

  protected putValue(i: number, v: V): void {
    if (i === 0) this.v0 = v;
    else this.v1 = v;
  }
}

/**
 * Iterators, one class per kind so `next` stays small enough for TurboFan to inline into the
 * caller's loop (and drop the result objects): the inline slots in `next`, the overflow and the
 * end in the shared `tail`.
 */
abstract class InlineMapIterator<K, V, T> implements MapIterator<T> {
  protected map: InlineMapBase<K, V> | null;
  /** Next inline slot to look at. */
  protected i = 0;
  /** The overflow's own iterator, once the inline slots are done. */
  private rest: Iterator<T> | null = null;

  constructor(map: InlineMapBase<K, V>) {
    this.map = map;
    map.iterStart();
  }

  abstract next(): IteratorResult<T, undefined>;

  protected abstract overflowIterator(o: Map<K, V>): Iterator<T>;

  /** After the inline slots: the overflow, then done (for good, as a Map iterator). */
  protected tail(): IteratorResult<T, undefined> {
    const m = this.map;
    if (m === null) return { value: undefined, done: true };
    if (this.rest === null) {
      const o = m.overflow();
      if (o === null) return this.finish();
      this.rest = this.overflowIterator(o);
    }
    const r = this.rest.next();
    return r.done === true ? this.finish() : r;
  }

  private finish(): IteratorResult<T, undefined> {
    this.map?.iterEnd();
    this.map = null;
    this.rest = null;
    return { value: undefined, done: true };
  }

  return(): IteratorResult<T, undefined> {
    return this.finish();
  }

  [Symbol.iterator](): MapIterator<T> {
    return this;
  }

  get [Symbol.toStringTag](): string {
    return 'Map Iterator';
  }
}

class InlineMapEntries<K, V> extends InlineMapIterator<K, V, [K, V]> {
  next(): IteratorResult<[K, V], undefined> {
    const m = this.map;
    // this.i stays at `used` once past the inline slots, so the overflow phase skips this loop.
    if (m !== null)
      for (const n = m.used(); this.i < n; ) {
        const i = this.i++;
        const k = m.keyAt(i);
        if (k !== HOLE) return { value: [k as K, m.valueAt(i)], done: false };
      }
    return this.tail();
  }

  protected overflowIterator(o: Map<K, V>): Iterator<[K, V]> {
    return o.entries();
  }
}

class InlineMapKeys<K, V> extends InlineMapIterator<K, V, K> {
  next(): IteratorResult<K, undefined> {
    const m = this.map;
    if (m !== null)
      for (const n = m.used(); this.i < n; ) {
        const k = m.keyAt(this.i++);
        if (k !== HOLE) return { value: k as K, done: false };
      }
    return this.tail();
  }

  protected overflowIterator(o: Map<K, V>): Iterator<K> {
    return o.keys();
  }
}

class InlineMapValues<K, V> extends InlineMapIterator<K, V, V> {
  next(): IteratorResult<V, undefined> {
    const m = this.map;
    if (m !== null)
      for (const n = m.used(); this.i < n; ) {
        const i = this.i++;
        if (m.keyAt(i) !== HOLE) return { value: m.valueAt(i), done: false };
      }
    return this.tail();
  }

  protected overflowIterator(o: Map<K, V>): Iterator<V> {
    return o.values();
  }
}
