/**
 * The full re-mark of the risk book over a range of scopes: the one arithmetic both
 * `RiskBook.remarkAll` (one thread, every scope) and the re-mark workers (./parallel-remark.ts,
 * one scope range per thread) run, so the figures are bit-identical for any number of threads.
 *
 * Why any partition by scope gives the same bits: a scope's equity is settlement + Σ assets (in
 * column order) + Σ slots (in market order; a scope has at most one slot per market), and its
 * MM Σ slots in market order. Each scope's sums are computed by exactly one thread, in the same
 * order as the single-threaded loop, and no sum crosses scopes. Pure: reads the columns,
 * writes `equity` and `mm` for scopes lo .. hi − 1 only.
 */

/** One market's slot columns (see RiskBook's MarketSlots) and its mark for this re-mark. */
export interface MarketColumns {
  count: number;
  scope: Int32Array;
  size: Float64Array;
  entry: Float64Array;
  ratio: Float64Array;
  cap: Float64Array;
  mark: number;
  priceIndependent: boolean;
  /** Slots are in ascending scope order (a scope range is one slot range). */
  sorted: boolean;
}

export interface RemarkColumns {
  /** Scopes 0 .. n − 1. */
  n: number;
  settle: Float64Array;
  equity: Float64Array;
  mm: Float64Array;
  /** Non-settlement collateral columns: weighted balances, price (0: skip), whether any is non-zero. */
  assets: { weighted: Float64Array; price: number; used: boolean }[];
  markets: MarketColumns[];
}

/** First slot index i in [0, count) with scope[i] ≥ s (slots sorted by scope). */
function lowerBound(scope: Int32Array, count: number, s: number): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (scope[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Re-marks scopes lo .. hi − 1 from scratch at the given marks and prices. */
export function remarkScopes(c: RemarkColumns, lo: number, hi: number): void {
  const eq = c.equity;
  const mm = c.mm;
  eq.set(c.settle.subarray(lo, hi), lo);
  mm.fill(0, lo, hi);
  for (const a of c.assets) {
    const p = a.price;
    if (p === 0 || !a.used) continue;
    const w = a.weighted;
    for (let s = lo; s < hi; s++) eq[s]! += w[s]! * p;
  }
  const whole = lo === 0 && hi >= c.n;
  for (const m of c.markets) {
    if (whole) markSlots(m, eq, mm, 0, m.count, -1, -1);
    else if (m.sorted)
      markSlots(m, eq, mm, lowerBound(m.scope, m.count, lo), lowerBound(m.scope, m.count, hi), -1, -1);
    else markSlots(m, eq, mm, 0, m.count, lo, hi); // unsorted: every slot, filtered by scope
  }
}

/** Adds slots from .. to − 1 at the market's mark (only those of scopes in [lo, hi) when lo ≥ 0). */
function markSlots(
  m: MarketColumns,
  eq: Float64Array,
  mm: Float64Array,
  from: number,
  to: number,
  lo: number,
  hi: number,
): void {
  const sc = m.scope;
  const size = m.size;
  const entry = m.entry;
  const ratio = m.ratio;
  const d = m.mark;
  const filter = lo >= 0;
  if (m.priceIndependent) {
    for (let i = from; i < to; i++) {
      const s = sc[i]!;
      if (filter && (s < lo || s >= hi)) continue;
      const q = size[i]!;
      eq[s]! += q * d - entry[i]!;
      mm[s]! += Math.abs(q) * d * ratio[i]!;
    }
    return;
  }
  const cap = m.cap;
  for (let i = from; i < to; i++) {
    const s = sc[i]!;
    if (filter && (s < lo || s >= hi)) continue;
    const q = size[i]!;
    const aq = Math.abs(q);
    eq[s]! += q * d - entry[i]!;
    mm[s]! += aq * d * ratio[i]!;
    if (aq * d > cap[i]!) mm[s] = Number.POSITIVE_INFINITY;
  }
}
