/**
 * The subaccounts holding a position in one market, in the order they entered it: the
 * `holders` of a MarketState (model/state.ts).
 *
 * Why not a `Set<string>` of keys: at a million holders per market a Set's hash table costs
 * ~21 bytes per entry and, worse, opening a snapshot spent ~1.5 s of a 1M-account decode
 * inserting keys into the tables one cache miss at a time. A holder is exactly a subaccount
 * whose `positions` has the market (evolve keeps the two in step), so the order is all this
 * needs to store: one array of subaccounts, 8 bytes per holder (it also held each holder's
 * Position object, for telling a dead entry from a live one: another 32 MiB at a million
 * accounts × 4 markets). Closing a position leaves a dead entry behind (no search), re-entering
 * appends a new one, which is the Set's delete-then-add order, and dead entries are dropped when
 * they outnumber the live ones.
 *
 * Which entry is live: a subaccount that has not left since the last compaction has one entry,
 * live while it holds the market. One that left is remembered (`left`, only those: the churn
 * since the compaction); if it entered again, the index of its newest entry too (`newest`), and
 * only that entry can be live. A compaction starts a new epoch (arrays and both collections
 * new), so an iteration in progress keeps judging its old array by the old epoch.
 *
 * Contract (what evolve does): `enter` only when the subaccount has just been given a position
 * in the market it did not have; `leave` after that position was removed. An iteration that runs
 * while holders enter may not visit them (a Set would), and one that re-enters across a
 * compaction may be visited at its old place rather than at the end; evolve's loops that change
 * holders iterate a copy.
 */

/**
 * What the set needs of a subaccount (model/state.ts Subaccount; not imported, which would be a
 * cycle): its key and its positions by market, compared by identity.
 */
export interface Holder {
  readonly key: string;
  readonly positions: ReadonlyMap<string, object>;
}

/** The entries since the last compaction, and how to tell the live ones (see the header). */
interface Epoch {
  readonly subs: Holder[];
  /** Subaccounts that left since the epoch began (null: none). */
  left: Set<Holder> | null;
  /** Of those that entered again, the index of their newest entry. */
  newest: Map<Holder, number> | null;
}

export class HolderSet implements ReadonlySet<string> {
  // Private (#) so that structural comparisons (test `toEqual`) see only what iteration yields.
  #epoch: Epoch;
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
    this.#epoch = { subs: [], left: null, newest: null };
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
    for (let i = 0; i < subs.length; i++) if (!subs[i]!.positions.has(market)) return undefined;
    const out = new HolderSet(market, lookup);
    out.#epoch = { subs, left: null, newest: null };
    out.#live = subs.length;
    return out;
  }

  get size(): number {
    return this.#live;
  }

  get [Symbol.toStringTag](): string {
    return 'HolderSet';
  }

  /** `sub` has just been given its first position in this market. */
  enter(sub: Holder): void {
    const e = this.#epoch;
    if (e.left?.has(sub) === true) (e.newest ??= new Map()).set(sub, e.subs.length);
    e.subs.push(sub);
    this.#live++;
  }

  /** `sub`'s position in this market has just been removed. */
  leave(sub: Holder): void {
    const e = this.#epoch;
    (e.left ??= new Set()).add(sub);
    this.#live--;
    const dead = e.subs.length - this.#live;
    if (dead > 64 && dead > this.#live) this.compact();
  }

  has(key: string): boolean {
    return this.#lookup(key)?.positions.has(this.#market) === true;
  }

  *keys(): SetIterator<string> {
    // The epoch is read once: after a compaction (a new epoch) the iteration goes on through the
    // old one, whose array and collections still say who was live.
    const e = this.#epoch;
    const subs = e.subs;
    const market = this.#market;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      if (liveAt(e, s, i, market)) yield s.key;
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
    const e = this.#epoch;
    const subs: Holder[] = [];
    const market = this.#market;
    for (let i = 0; i < e.subs.length; i++) {
      const s = e.subs[i]!;
      if (liveAt(e, s, i, market)) subs.push(s);
    }
    // A new epoch, not in place: an iteration in progress keeps walking the old one.
    this.#epoch = { subs, left: null, newest: null };
  }
}

/** Whether entry `i` (subaccount `s`) of the epoch is live. */
function liveAt(e: Epoch, s: Holder, i: number, market: string): boolean {
  if (!s.positions.has(market)) return false;
  if (e.left === null || !e.left.has(s)) return true;
  return e.newest?.get(s) === i;
}
