/**
 * The subaccounts holding a position in one market, in the order they entered it: the
 * `holders` of a MarketState (model/state.ts).
 *
 * Why not a `Set<string>` of keys: at a million holders per market a Set's hash table costs
 * ~21 bytes per entry and, worse, opening a snapshot spent ~1.5 s of a 1M-account decode
 * inserting keys into the tables one cache miss at a time. A holder is exactly a subaccount
 * whose `positions` has the market (evolve keeps the two in step), so the order is all this
 * needs to store: two arrays, the subaccount and the very Position object it entered with. An
 * entry is live while that subaccount's position in the market is still that object; closing the
 * position leaves a dead entry behind (no search), and re-entering appends a new one (a new
 * Position object), which is the Set's delete-then-add order. Dead entries are dropped when they
 * outnumber the live ones.
 *
 * Contract (what evolve does): `enter` only when the subaccount has just been given a position
 * in the market it did not have; `leave` after that position was removed. An iteration that runs
 * while holders enter may not visit them (a Set would); evolve's loops that change holders
 * iterate a copy.
 */

/**
 * What the set needs of a subaccount (model/state.ts Subaccount; not imported, which would be a
 * cycle): its key and its positions by market, compared by identity.
 */
export interface Holder {
  readonly key: string;
  readonly positions: ReadonlyMap<string, object>;
}

export class HolderSet implements ReadonlySet<string> {
  // Private (#) so that structural comparisons (test `toEqual`) see only what iteration yields.
  #subs: Holder[];
  #held: object[];
  #live: number;
  readonly #market: string;
  readonly #lookup: (key: string) => Holder | undefined;

  /**
   * @param market the market's id
   * @param lookup the state's subaccount by key (for `has`)
   */
  constructor(market: string, lookup: (key: string) => Holder | undefined) {
    this.#market = market;
    this.#lookup = lookup;
    this.#subs = [];
    this.#held = [];
    this.#live = 0;
  }

  /**
   * The holders of a decoded snapshot, in its order. Each must hold a position in the market and
   * appear once (the caller checks that, it knows the rows): otherwise `undefined`, for the
   * caller's typed error.
   */
  static fromList(
    market: string,
    lookup: (key: string) => Holder | undefined,
    subs: Holder[],
  ): HolderSet | undefined {
    const held = new Array<object>(subs.length);
    for (let i = 0; i < subs.length; i++) {
      const p = subs[i]!.positions.get(market);
      if (p === undefined) return undefined;
      held[i] = p;
    }
    const out = new HolderSet(market, lookup);
    out.#subs = subs;
    out.#held = held;
    out.#live = subs.length;
    return out;
  }

  get size(): number {
    return this.#live;
  }

  get [Symbol.toStringTag](): string {
    return 'HolderSet';
  }

  /** `sub` has just been given `position`, its first in this market. */
  enter(sub: Holder, position: object): void {
    this.#subs.push(sub);
    this.#held.push(position);
    this.#live++;
  }

  /** `sub`'s position in this market has just been removed. */
  leave(): void {
    this.#live--;
    const dead = this.#subs.length - this.#live;
    if (dead > 64 && dead > this.#live) this.compact();
  }

  has(key: string): boolean {
    return this.#lookup(key)?.positions.has(this.#market) === true;
  }

  *keys(): SetIterator<string> {
    // The arrays are read afresh each step: a compaction (new arrays) during the iteration is
    // followed from the old ones, which still say who was live.
    const subs = this.#subs;
    const held = this.#held;
    const market = this.#market;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (s.positions.get(market) === held[i]) yield s.key;
    }
  }

  values(): SetIterator<string> {
    return this.keys();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.keys();
  }

  *entries(): SetIterator<[string, string]> {
    for (const k of this.keys()) yield [k, k];
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const k of this.keys()) fn.call(thisArg, k, k, this);
  }

  private compact(): void {
    const subs: Holder[] = [];
    const held: object[] = [];
    const market = this.#market;
    for (let i = 0; i < this.#subs.length; i++) {
      const s = this.#subs[i]!;
      const p = this.#held[i]!;
      if (s.positions.get(market) !== p) continue;
      subs.push(s);
      held.push(p);
    }
    // New arrays, not in place: an iteration in progress keeps walking the old ones.
    this.#subs = subs;
    this.#held = held;
  }
}
