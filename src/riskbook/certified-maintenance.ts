/**
 * The liquidation decision of one scope (equity < maintenance margin, exactly as `evaluate`
 * decides it) in float64 arithmetic with a proven error bound: the fast half of
 * ./maintenance-check.ts.
 *
 * Why: confirming a tick's candidates is the exact half of every liquidation answer, and the
 * integer figures cost about a dozen BigInt operations per position, each of which allocates
 * (3–5 µs per scope). Almost every candidate is far from the line in money terms: its headroom
 * H = equity − MM is thousands of quote units away from zero while the float error is a few
 * units. So this module evaluates the *same integer formulas* in doubles and, alongside, an
 * upper bound B on |h − H| (h the float headroom). If h > B then H > 0: not liquidatable; if
 * h < −B then H < 0: liquidatable. Otherwise — and for every case it does not model — it
 * answers "unsure" and the caller computes the integer figures (`MaintenanceChecker.figures`).
 * The comparisons of h with ±B are comparisons of two doubles, which are exact. So the
 * decision is exact: it never differs from `evaluate`'s. Property-tested against `evaluate`
 * in ./maintenance-check.prop.test.ts, including scopes placed within a few units of the line
 * (they must come back "unsure").
 *
 * The same decision is also taken from copies of the inputs kept in typed columns
 * (`beginColumns`, `columnScope`, `columnCollateral`, `columnPosition`, `columnDecision`): the
 * bound index's rows and the risk book's columns hold the same doubles this module would convert
 * from the subaccount (Number of each integer, one rounding each; sizes exactly), so reading a
 * candidate costs a few typed-array loads instead of a subaccount lookup and its objects. Those
 * callers keep the copies in step through the engine's events (property-tested in
 * ./column-confirm.prop.test.ts against the state after every command).
 *
 * Chosen over exact integer arithmetic in limbs or a WebAssembly i64 kernel: a double per
 * term, no allocation, and the bound costs two extra adds per term; the fallback keeps all the
 * integer code in one place.
 *
 * What it evaluates (everything else answers "unsure"): the engine's own margin arithmetic,
 * linear markets with a mark ≥ 0 whose model is `fixed`, `sqrtSize` or `brackets` (none of
 * options, positive-health haircuts, fees to close in maintenance, entry-based requirements,
 * margin add-ons), settlement cash, non-negative collateral balances without a size haircut,
 * eager or lazy funding, ≤ MAX_TERMS terms. The integer formulas (quote units; D = 10^(17 − quote decimals)):
 *
 *   per position:  V = size × mark;  value Q = ⌊V / D⌋;  notional N = ⌈|V| / D⌉;  pnl = Q − entry
 *     fixed:       MM = ⌈N × R / 10^6⌉, R the model's ratio (ppm)
 *     sqrtSize:    the same with R = max(base, base − ⌊base/5⌋ + ⌊⌊√(10·|size| + 1)⌋ × imf / 10^5⌋),
 *                  computed here exactly in doubles (every intermediate is an integer < 2^53,
 *                  and the square root and the division are corrected by one integer step)
 *     brackets:    MM = max(0, ⌈(N × mmr_b − amount_b) / 10^6⌉), b the bracket holding N. The
 *                  ratios are non-decreasing and the amounts are derived so that MM is
 *                  continuous (compileBrackets), hence f(N) = N × mmr_b − amount_b is convex
 *                  and equals max over all brackets b' of (N × mmr_b' − amount_b'): the sum
 *                  Σ_k (N − cap_k)(mmr_{k+1} − mmr_k) between two brackets has terms of one
 *                  sign. The max needs no bracket choice, so a float N near a cap is harmless.
 *   collateral:    ⌊balance × price × weight / (10^(asset dec + 8 − quote dec) × 10^6)⌋
 *   lazy funding:  ⌊−size × (index_side − index_at_settle) / 10^(27 − quote decimals)⌋
 *   settlement cash and isolated margin: as stored.
 *
 * The bound. Write each integer term as T = g(x) rounded (floor, ceil, or not), with g a
 * formula of +, −, ×, ÷ by constants, and max (1-Lipschitz) over exact integer inputs x.
 * (1) Integer rounding: |T − g_real| ≤ the term's "units": 1 per floor or ceil, and the
 *     notional's rounding (< 1 unit) passes into MM times R / 10^6 (or, for brackets, times
 *     the largest ratio: f is Lipschitz with that slope). Per position that is
 *     2 + ratio; per collateral or funding term 1.
 * (2) Float rounding: each input is converted once (Number(bigint) rounds to nearest) and
 *     each operation rounds once, each with relative error ≤ u = 2^-53. The standard result
 *     (Higham, Accuracy and Stability of Numerical Algorithms, §3.1) for an expression of
 *     sums and products (here divisions are only by constants) with k such roundings:
 *     |ĝ − g| ≤ γ_k × g_abs, where γ_k = k·u / (1 − k·u) and g_abs is the expression
 *     evaluated on the absolute values of its inputs and constants. A max of such expressions
 *     errs by at most the largest error. Summing all terms into h adds at most one rounding
 *     per term to every chain. (An underflow would err by at most 2^-1074 absolutely, far
 *     inside the cushion below.)
 * Hence |h − H| ≤ U + γ_K × A with U the sum of units, A the sum of the g_abs of every term
 * (this module adds them up as it goes: |value| + |entry|, the requirement, |collateral|, …)
 * and K ≤ 16 + MAX_TERMS the longest chain of roundings. With MAX_TERMS = 1024,
 * γ_K < 1.2e-13, and B = U + 2^-40 × A (2^-40 ≈ 9.1e-13) is larger than that by a factor of 7,
 * which also covers the rounding of U and A themselves (each a sum of ≤ MAX_TERMS positive
 * doubles: relative error < 1.2e-13) and of U + 2^-40 × A (two roundings); U starts at 1 as a
 * cushion. A term that overflows makes A infinite (or NaN): then neither h > B nor h < −B holds,
 * and the answer is "unsure".
 */

import { assetPricePx8 } from '../core/account/prices.ts';
import { assetWeightPpm } from '../core/collateral/weights.ts';
import { type Bracket, compileBrackets } from '../core/margin/brackets.ts';
import { resolveMaintenancePpm } from '../core/margin/ratios.ts';
import type { MarketConfig } from '../core/model/config.ts';
import type { MarginModel } from '../core/model/margin-model.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../core/model/state.ts';
import { PPM, pow10 } from '../core/num/index.ts';

/** Decision: the scope is liquidatable, it is not, or the bound cannot tell (compute the integers). */
export const LIQUIDATABLE = 1;
export const NOT_LIQUIDATABLE = 0;
export const UNSURE = -1;
export type Decision = typeof LIQUIDATABLE | typeof NOT_LIQUIDATABLE | typeof UNSURE;

/** Most terms (positions, collateral balances, funding terms) of a scope evaluated in floats. */
export const MAX_TERMS = 1024;
/** Relative part of the bound: ≥ 7 × γ_(16 + MAX_TERMS) (see the module comment). */
const EPS = 2 ** -40;
/** Largest |size| (qty9) whose √(10·|size| + 1) is taken in doubles: 10·size + 1 < 2^52. */
const MAX_SQRT_SIZE = 4e14;
/** Largest IMF factor (ppm) for the exact double premium: ⌊√⌋ × imf < 2^26 × 2^26. */
const MAX_IMF = 2 ** 26;

const FIXED = 0;
const SQRT_SIZE = 1;
const BRACKETS = 2;

/** What the float evaluation needs of a market's configuration, checked against its model once. */
interface MarketKernel {
  readonly config: MarketConfig;
  /** false: every scope with a position here goes to the integer figures. */
  readonly ok: boolean;
  readonly kind: number;
  /** fixed: R / 10^6 (the double nearest). */
  readonly ratio: number;
  /** fixed: R / 10^6 rounded up to a bound for the units; brackets: largest ratio / 10^6 (likewise). */
  readonly ratioUnits: number;
  /** sqrtSize: base ratio, base − ⌊base/5⌋, IMF factor (ppm, exact integers). */
  readonly base: number;
  readonly num: number;
  readonly imf: number;
  /** brackets: per bracket mmr (ppm) and amount (quote units × 10^6), as doubles; the largest amount. */
  readonly mmr: Float64Array;
  readonly amount: Float64Array;
  readonly amountMax: number;
}

const UNUSABLE = (config: MarketConfig): MarketKernel => ({
  config,
  ok: false,
  kind: -1,
  ratio: 0,
  ratioUnits: 0,
  base: 0,
  num: 0,
  imf: 0,
  mmr: new Float64Array(0),
  amount: new Float64Array(0),
  amountMax: 0,
});

/** ⌊√x⌋ for an integer 0 ≤ x < 2^52, exactly (Math.sqrt is correctly rounded; one correction step). */
function isqrtDouble(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** ⌊p / 10^5⌋ for an integer 0 ≤ p < 2^53, exactly. */
function floorDiv1e5(p: number): number {
  let q = Math.floor(p / 1e5);
  if (q * 1e5 > p) q--;
  else if ((q + 1) * 1e5 <= p) q++;
  return q;
}

/** The sqrtSize model's maintenance ratio (ppm) at |size| = a (an integer ≤ MAX_SQRT_SIZE), exactly. */
function sqrtSizeRatio(k: Pick<MarketKernel, 'num' | 'imf' | 'base'>, a: number): number {
  const premium = k.num + floorDiv1e5(isqrtDouble(10 * a + 1) * k.imf);
  return Math.max(premium, k.base);
}

/**
 * `sizePremiumRatio(size, imf, base)` (core/margin/size-premium.ts, ppm precision) in doubles,
 * for integers size ≤ 4e14, imf < 2^26, base ≤ 2^40; exported for its property test.
 */
export function sizePremiumRatioDouble(sizeQty9: number, imfFactorPpm: number, baseRatioPpm: number): number {
  const num = baseRatioPpm - Math.floor(baseRatioPpm / 5);
  return sqrtSizeRatio({ num, imf: imfFactorPpm, base: baseRatioPpm }, sizeQty9);
}

/** Whether `evaluate` does something for this market that the float path leaves out. */
function outOfScope(c: MarketConfig): boolean {
  return (
    c.option !== undefined ||
    c.margin.kind === 'standardOption' ||
    c.positiveHealthWeight !== undefined ||
    c.closeFeeInMaintenance === true ||
    c.requirementOn === 'entry' ||
    c.marginAddOns !== undefined ||
    c.contractType === 'inverse'
  );
}

const NO_OI = Object.freeze({ openInterestQuote: 0n });

/** The model's own maintenance requirement at an exposure (the reference for the probes). */
function modelMm(model: MarginModel, size: bigint, notional: bigint): bigint {
  return model.requirement({ sizeQty9: size, notionalQuote: notional }, NO_OI).maintenanceQuote;
}

/**
 * The float parameters of a market's model, read from its configuration (the model is
 * `createMarginModel(config.margin, …)`) and then checked against the model's own integer
 * arithmetic at probe exposures: a mismatch (a model this module does not know) marks the
 * market unusable, so its scopes take the integer path.
 */
function compileKernel(model: MarginModel, config: MarketConfig, quoteDecimals: number): MarketKernel {
  try {
    return compileChecked(model, config, quoteDecimals);
  } catch {
    return UNUSABLE(config); // a probe the model refuses: its scopes take the integer path
  }
}

function compileChecked(model: MarginModel, config: MarketConfig, quoteDecimals: number): MarketKernel {
  const m = config.margin;
  if (outOfScope(config) || model.kind !== m.kind) return UNUSABLE(config);
  const base = { ...UNUSABLE(config), ok: true };
  if (m.kind === 'fixed') {
    const r = modelMm(model, 1n, PPM);
    for (const n of [0n, 1n, 999_999n, 10n ** 12n + 7n, 123_456_789_012_345n])
      if (modelMm(model, 1n, n) !== ceilDiv(n * r, PPM)) return UNUSABLE(config);
    return { ...base, kind: FIXED, ratio: Number(r) / 1e6, ratioUnits: Number(r) / 1e6 + 1e-9 };
  }
  if (m.kind === 'sqrtSize') {
    const mm = resolveMaintenancePpm(m.maintenance, m.initialRatio);
    if (m.imfFactor >= BigInt(MAX_IMF) || mm > 2n ** 40n) return UNUSABLE(config);
    const k: MarketKernel = {
      ...base,
      kind: SQRT_SIZE,
      base: Number(mm),
      num: Number(mm - mm / 5n),
      imf: Number(m.imfFactor),
    };
    for (const s of [
      0n,
      1n,
      9n,
      10n ** 9n,
      12_345_678_901n,
      10n ** 12n,
      399_999_999_999_999n,
      4n * 10n ** 14n,
    ]) {
      const r = sqrtSizeRatio(k, Number(s));
      if (modelMm(model, s, PPM) !== BigInt(r)) return UNUSABLE(config);
      if (modelMm(model, s, 10n ** 12n + 3n) !== ceilDiv((10n ** 12n + 3n) * BigInt(r), PPM))
        return UNUSABLE(config);
    }
    return k;
  }
  if (m.kind === 'brackets') {
    let ladder: Bracket[];
    try {
      ladder = compileBrackets(m.brackets, quoteDecimals);
    } catch {
      return UNUSABLE(config);
    }
    // The convexity argument: non-decreasing ratios, amounts from the continuity recurrence.
    for (let b = 1; b < ladder.length; b++) {
      const prev = ladder[b - 1]!;
      const cur = ladder[b]!;
      if (
        cur.maintenanceRatioPpm < prev.maintenanceRatioPpm ||
        prev.capQuote === undefined ||
        cur.maintenanceAmountQuotePpm !==
          prev.maintenanceAmountQuotePpm +
            prev.capQuote * (cur.maintenanceRatioPpm - prev.maintenanceRatioPpm)
      )
        return UNUSABLE(config);
    }
    if (ladder[0]!.maintenanceAmountQuotePpm !== 0n || ladder[0]!.maintenanceRatioPpm < 0n)
      return UNUSABLE(config);
    const probes: bigint[] = [0n, 1n, 10n ** 15n];
    for (const b of ladder)
      if (b.capQuote !== undefined)
        probes.push(b.capQuote - 1n, b.capQuote, b.capQuote + 1n, b.capQuote * 3n);
    const maxOf = (n: bigint): bigint => {
      let best = 0n;
      for (const b of ladder) {
        const v = ceilDiv(n * b.maintenanceRatioPpm - b.maintenanceAmountQuotePpm, PPM);
        if (v > best) best = v;
      }
      return best;
    };
    for (const n of probes) if (modelMm(model, 1n, n) !== maxOf(n)) return UNUSABLE(config);
    const last = ladder[ladder.length - 1]!;
    return {
      ...base,
      kind: BRACKETS,
      ratioUnits: Number(last.maintenanceRatioPpm) / 1e6 + 1e-9,
      mmr: Float64Array.from(ladder, (b) => Number(b.maintenanceRatioPpm)),
      amount: Float64Array.from(ladder, (b) => Number(b.maintenanceAmountQuotePpm)),
      amountMax: Number(last.maintenanceAmountQuotePpm),
    };
  }
  return UNUSABLE(config);
}

/** ⌈a / b⌉ for b > 0 (any sign of a). */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b < a ? q + 1n : q;
}

/**
 * The certified float decision; one instance per checker (it caches each market model's float
 * parameters, keyed by the model object, so a reconfigured market starts afresh).
 */
export class CertifiedMaintenance {
  private readonly kernels = new WeakMap<MarginModel, MarketKernel>();
  /** Per quote-decimals divisors as doubles (exact up to 10^22; see `divisors`). */
  private qd = -1;
  private valueD = 1;
  private fundingD = 1;
  /** Accumulators of the scope being evaluated (no object per scope or position). */
  private h = 0;
  private units = 0;
  private mag = 0;
  private terms = 0;

  /** Whether the scope is liquidatable, certainly; UNSURE when the integers must decide. */
  decide(
    state: ReadonlyEngineState,
    sub: ReadonlySubaccount,
    scope: { readonly kind: 'cross' } | { readonly kind: 'isolated'; readonly market: string },
  ): Decision {
    if (state.config.marginArithmetic === 'drift-v2') return UNSURE;
    const qd = state.settlement.decimals;
    if (qd !== this.qd && !this.divisors(qd)) return UNSURE;
    const lazy = state.config.fundingSettlement === 'lazy';
    this.h = 0;
    this.units = 1;
    this.mag = 0;
    this.terms = 0;
    if (scope.kind === 'isolated') {
      const p = sub.positions.get(scope.market);
      if (p === undefined || !p.isolated) return UNSURE;
      this.cash(p.isolatedMargin);
      if (p.size !== 0n && !this.position(state, p.market, p.size, p.entryValue, p.fundingIndex, lazy, qd))
        return UNSURE;
    } else {
      if (sub.portfolioMargin === true) return UNSURE;
      const settlement = state.settlement.id;
      for (const [assetId, balance] of sub.balances) {
        if (assetId === settlement) {
          this.cash(balance);
          continue;
        }
        if (balance === 0n) continue;
        if (balance < 0n) return UNSURE; // liability weights: the integer path
        const asset = state.assets.get(assetId)!;
        if (asset.sizeHaircutFactor !== 0n) return UNSURE;
        const px = assetPricePx8(state, assetId);
        if (px === undefined) continue; // unpriced collateral counts for nothing, as in evaluate
        if (px < 0n) return UNSURE; // collateralValueQuote throws: let it
        const w = assetWeightPpm(state.config, sub, asset, 'maintenance');
        if (w < 0n || w > PPM) return UNSURE;
        const shift = asset.decimals + 8 - qd;
        // ⌊b × px × w / (10^shift × 10^6)⌋ (or × 10^−shift): one floor; g_abs = the value.
        const scale = shift >= 0 ? 1 / (Number(pow10(shift)) * 1e6) : Number(pow10(-shift)) / 1e6;
        const value = Number(balance) * Number(px) * Number(w) * scale;
        this.h += value;
        this.mag += value;
        this.units += 1;
        this.terms++;
      }
      for (const p of sub.positions.values()) {
        if (p.isolated || p.size === 0n) continue;
        if (!this.position(state, p.market, p.size, p.entryValue, p.fundingIndex, lazy, qd)) return UNSURE;
      }
    }
    return this.headroomDecision();
  }

  private divisors(qd: number): boolean {
    if (!Number.isInteger(qd) || qd < 0 || qd > 17) return false;
    this.qd = qd;
    this.valueD = Number(pow10(17 - qd)); // exact: 10^k for k ≤ 22 is a double
    this.fundingD = Number(pow10(27 - qd)); // 10^(9 + 18 − qd): one rounding past 10^22, counted per term
    return true;
  }

  private cash(amount: bigint): void {
    const c = Number(amount);
    this.h += c;
    this.mag += Math.abs(c);
    this.terms++;
  }

  /** Adds one position's pnl, − MM and pending funding; false: the integer path must decide. */
  private position(
    state: ReadonlyEngineState,
    marketId: string,
    size: bigint,
    entryValue: bigint,
    fundingIndex: bigint,
    lazy: boolean,
    qd: number,
  ): boolean {
    const ms: ReadonlyMarketState = state.markets.get(marketId)!;
    const markPx8 = ms.markPx8;
    if (markPx8 === undefined || markPx8 < 0n) return false;
    const k = this.kernelOf(ms, qd);
    const s = Number(size);
    if (!k.ok || !this.positionTerms(k, Number(markPx8), s, Number(entryValue))) return false;
    if (lazy) {
      const side = size < 0n ? (ms.fundingIndexShort ?? ms.fundingIndex) : ms.fundingIndex;
      if (side !== fundingIndex) {
        // ⌊−size × Δindex / 10^(27 − qd)⌋: one floor.
        const f = (-s * Number(side - fundingIndex)) / this.fundingD;
        this.h += f;
        this.mag += Math.abs(f);
        this.units += 1;
        this.terms++;
      }
    }
    return true;
  }

  /** The market model's float parameters (compiled once per model object and configuration). */
  private kernelOf(ms: ReadonlyMarketState, qd: number): MarketKernel {
    let k = this.kernels.get(ms.model);
    if (k === undefined || k.config !== ms.config) {
      k = compileKernel(ms.model, ms.config, qd);
      this.kernels.set(ms.model, k);
    }
    return k;
  }

  /**
   * Adds one position's pnl and − MM: s = Number(size) (qty9), e = Number(entry value), mark
   * = Number(markPx8) ≥ 0, each one rounding of the integer input; false: the integers decide.
   */
  private positionTerms(k: MarketKernel, mark: number, s: number, e: number): boolean {
    // value ≈ ⌊V / D⌋ (1 unit), notional x ≈ ⌈|V| / D⌉ (1 unit, passed on to MM times the ratio).
    const val = (s * mark) / this.valueD;
    const x = Math.abs(val);
    let mm: number;
    let mmAbs: number;
    let ratioUnits: number;
    if (k.kind === FIXED) {
      mm = x * k.ratio;
      mmAbs = mm;
      ratioUnits = k.ratioUnits;
    } else if (k.kind === SQRT_SIZE) {
      const a = Math.abs(s);
      if (!(a <= MAX_SQRT_SIZE)) return false;
      // s is exact here: |size| ≤ 4e14 < 2^53 converts without rounding.
      const r = sqrtSizeRatio(k, a) / 1e6;
      mm = x * r;
      mmAbs = mm;
      ratioUnits = r + 1e-9;
    } else {
      // max(0, max_b (x × mmr_b − amount_b)) / 10^6
      const mmr = k.mmr;
      const amount = k.amount;
      let best = 0;
      for (let b = 0; b < mmr.length; b++) {
        const v = x * mmr[b]! - amount[b]!;
        if (v > best) best = v;
      }
      mm = best / 1e6;
      mmAbs = (x * mmr[mmr.length - 1]! + k.amountMax) / 1e6;
      ratioUnits = k.ratioUnits;
    }
    this.h += val - e - mm;
    this.mag += x + Math.abs(e) + mmAbs;
    this.units += 2 + ratioUnits;
    this.terms += 3;
    return true;
  }

  // ---- the same decision from the risk book's columns (./column-confirm.ts) ----

  /** Per book market: kernel (undefined: positions there are unsure) and Number(markPx8). */
  private colKernel: (MarketKernel | undefined)[] = [];
  private colMark = new Float64Array(0);
  /** Per book asset column: Number(px8) × the value scale (0: unpriced, NaN: unsure). */
  private colAsset = new Float64Array(0);

  /**
   * Reads the prices and market models of a tick for `columnDecision`. False: nothing of this
   * state can be decided from the columns (other margin arithmetic, lazy funding — the columns
   * hold no funding index —, unusual settlement decimals); every scope then takes `decide`.
   */
  beginColumns(
    state: ReadonlyEngineState,
    marketIds: readonly string[],
    assetIds: readonly string[],
  ): boolean {
    if (state.config.marginArithmetic === 'drift-v2' || state.config.fundingSettlement === 'lazy')
      return false;
    const qd = state.settlement.decimals;
    if (qd !== this.qd && !this.divisors(qd)) return false;
    const nm = marketIds.length;
    if (this.colMark.length < nm) this.colMark = new Float64Array(nm);
    this.colKernel.length = nm;
    for (let m = 0; m < nm; m++) {
      const ms = state.markets.get(marketIds[m]!);
      const px = ms?.markPx8;
      if (ms === undefined || px === undefined || px < 0n) {
        this.colKernel[m] = undefined;
        continue;
      }
      const k = this.kernelOf(ms, qd);
      this.colKernel[m] = k.ok ? k : undefined;
      this.colMark[m] = Number(px);
    }
    const na = assetIds.length;
    if (this.colAsset.length < na) this.colAsset = new Float64Array(na);
    for (let a = 0; a < na; a++) {
      const asset = state.assets.get(assetIds[a]!);
      const px = assetPricePx8(state, assetIds[a]!);
      if (asset === undefined || asset.sizeHaircutFactor !== 0n || (px !== undefined && px < 0n)) {
        this.colAsset[a] = Number.NaN;
        continue;
      }
      const shift = asset.decimals + 8 - qd;
      const scale = shift >= 0 ? 1 / (Number(pow10(shift)) * 1e6) : Number(pow10(-shift)) / 1e6;
      // Unpriced collateral counts for nothing, as in evaluate.
      this.colAsset[a] = px === undefined ? 0 : Number(px) * scale;
    }
    return true;
  }

  /** Starts a scope of the column decision with its settlement cash (Number of the integer). */
  columnScope(cash: number): void {
    this.h = cash;
    this.units = 1;
    this.mag = Math.abs(cash);
    this.terms = 1;
  }

  /**
   * Adds a collateral term: bw = Number(balance) × Number(maintenance weight ppm) (balance > 0,
   * weight in [0, 10^6]) of asset column `a`. Its value Number(balance) × Number(px) × Number(w) ×
   * scale is the same product of the same four roundings as in `decide`, in another order
   * (the bound of the module comment holds for any order). False: unsure.
   */
  columnCollateral(a: number, bw: number): boolean {
    const value = bw * this.colAsset[a]!;
    if (!(value >= 0)) return false; // NaN: an asset this path does not model
    this.h += value;
    this.mag += value;
    this.units += 1;
    this.terms++;
    return true;
  }

  /** Adds a position of book market `m`: size (qty9, a safe integer) and Number(entry value). False: unsure. */
  columnPosition(m: number, size: number, entry: number): boolean {
    const k = this.colKernel[m];
    return k !== undefined && this.positionTerms(k, this.colMark[m]!, size, entry);
  }

  /** The decision of the scope the column calls built. */
  columnDecision(): Decision {
    return this.headroomDecision();
  }

  /** The sign of the headroom summed so far, where it clears its error bound; else unsure. */
  private headroomDecision(): Decision {
    if (this.terms > MAX_TERMS) return UNSURE;
    const h = this.h;
    const bound = this.units + EPS * this.mag;
    if (h > bound) return NOT_LIQUIDATABLE;
    if (h < -bound) return LIQUIDATABLE;
    return UNSURE;
  }
}
