/**
 * Dynamic and predictive margin policies for the risk lab.
 *
 * `dynamicPolicy`: the maintenance ratio follows a volatility forecast over the
 * liquidation horizon plus a liquidity add-on from the book's depth,
 *
 *   MM = clamp(z · σ_h + L, floor, ceiling),   IM = imOverMm · MM,
 *
 * - σ_h: the forecast standard deviation of the log return over the next `horizonMinutes`
 *   minutes, √(cumulativeVariance(h)) of a model fitted to the minute returns of the
 *   exogenous price *seen so far* (the policy only ever sees the ticks the simulator
 *   has given it: no look-ahead). Forecasters: EWMA (`fitEwma`, memory
 *   `ewmaMemoryMinutes`), GARCH(1,1) (`fitGarch` re-fitted every `refitEveryMinutes`,
 *   `garchWithParams` in between) or HAR-RV on squared minute returns (`fitHar`, lags
 *   `harLags`, re-fitted the same way). Until `warmupMinutes` returns are in (and while
 *   a model cannot be fitted yet), σ per √minute is the prior `priorVolPerMin`.
 * - L: the liquidity add-on, the expected cost of unwinding a representative position —
 *   `oiShare` × the open interest — as a TWAP of `liquidityAddOn.horizonMinutes` equal
 *   slices, each a market order on a fresh book (`BookModel.executionPrice` over the
 *   curves in force): L = max over sides of |1 − avg fill / mid| of one slice.
 *   One uniform figure for the market (the margin model is `fixed`), not per position.
 * - The ceiling bounds the total (ratio with the add-on); MM is rounded up to 1 bp.
 *
 * Every `updateEveryMinutes` the policy re-evaluates and, when the ratio changed, emits a
 * `fixed` margin model through `onTick` (→ `set_market`). `configFor` resets the state
 * and starts at the prior's ratio (no open interest or book yet: no add-on).
 *
 * `predictivePolicy` adds a lookahead signal and a rise cap:
 * - signal 'ewma-ratio': b = clamp(σ_short / σ_long, 1, maxBoost) with EWMAs of memory
 *   `shortMinutes` and `longMinutes`; the vol term becomes z · σ_h · b, so requirements
 *   rise while short-horizon volatility runs ahead of the long one (vol accelerating),
 *   before the slower forecast catches up.
 * - rise cap: between two evaluations Δ minutes apart MM may rise by at most
 *   `maxRisePerHour` × Δ / 60 (ratio points; 0.02 = 2 pp per hour), so accounts get time
 *   to add collateral or reduce. Decreases are not capped: lowering a requirement never
 *   forces anyone out (the cost is that a quick fall followed by a new spike has to
 *   climb again at the capped rate).
 *
 * The policies are stateful (they accumulate the prices they have seen); `configFor`
 * starts a new run. Use one instance per concurrent run.
 *
 * @example
 * const p = predictivePolicy({ forecaster: 'ewma', maxRisePerHour: 0.02 });
 * runComparison({ crash: '2025-10-10', accounts: 200, seed: 1, policies: [p] });
 * p.trace; // one decision per evaluation: σ_h, add-on, boost, target, MM, IM
 */

import { type BookCurves, BookModel, NO_GAP, NO_THINNING } from '../../analytics/liquidity/depth-model.ts';
import {
  fitEwma,
  fitGarch,
  fitHar,
  type GarchParams,
  garchWithParams,
  type HarCoefficients,
  harWithCoefficients,
  type VarianceForecast,
} from '../../analytics/volatility/index.ts';
import type { MarginModelConfigInput } from '../../core/model/config.ts';
import type { MarginPolicy, PolicyTick, PolicyUpdate } from './policies.ts';

export type Forecaster = 'ewma' | 'garch' | 'har';

export interface LiquidityAddOnOptions {
  readonly enabled: boolean;
  /** Minutes over which the representative position is unwound (TWAP slices, one a minute). */
  readonly horizonMinutes: number;
  /** Representative position as a share of the open interest (one side). */
  readonly oiShare: number;
}

export interface DynamicPolicyOptions {
  readonly name?: string;
  readonly forecaster: Forecaster;
  /** Liquidation horizon of the volatility term, minutes. */
  readonly horizonMinutes: number;
  /** Confidence multiplier (2.33 ≈ one-sided 99 % under normality). */
  readonly z: number;
  readonly floorMm: number;
  readonly ceilingMm: number;
  readonly imOverMm: number;
  readonly liquidityAddOn: LiquidityAddOnOptions;
  readonly updateEveryMinutes: number;
  /** σ per √minute before enough returns are seen. */
  readonly priorVolPerMin: number;
  /** Minute returns needed before the forecaster replaces the prior. */
  readonly warmupMinutes: number;
  /** EWMA memory 1 / (1 − λ), minutes. */
  readonly ewmaMemoryMinutes: number;
  /** GARCH / HAR re-estimation interval, minutes (filtered with the last fit in between). */
  readonly refitEveryMinutes: number;
  /** HAR components on squared minute returns, minutes. */
  readonly harLags: readonly number[];
}

export interface LookaheadSignal {
  readonly signal: 'ewma-ratio';
  readonly shortMinutes: number;
  readonly longMinutes: number;
  readonly maxBoost: number;
}

export interface PredictivePolicyOptions extends DynamicPolicyOptions {
  readonly lookahead: LookaheadSignal;
  /** Largest rise of the MM ratio per hour, ratio points (0.02 = 2 pp / hour). */
  readonly maxRisePerHour: number;
}

/**
 * Defaults (chosen before any run, not tuned on the results):
 * - horizon 60 min, z 2.33: a one-hour 99 % move — the time a thin book needs to absorb a
 *   cascade and a trader to react, rather than the keeper's seconds;
 * - floor 0.5 % (about Binance's first-bracket 0.4 %), ceiling 10 % (the lab's
 *   conservative IM), IM = 2 × MM (as static-low and static-conservative);
 * - add-on: 10 % of the open interest unwound over 5 minutes (an assumed stress share);
 * - prior σ 0.0006 per √min: the book model's calm reference σ₀; warm-up 30 min;
 * - EWMA memory 60 min; GARCH / HAR re-fitted hourly; HAR lags 1 / 15 / 60 min;
 * - re-evaluated every 5 minutes.
 */
export const DEFAULT_DYNAMIC: DynamicPolicyOptions = Object.freeze({
  forecaster: 'ewma',
  horizonMinutes: 60,
  z: 2.33,
  floorMm: 0.005,
  ceilingMm: 0.1,
  imOverMm: 2,
  liquidityAddOn: Object.freeze({ enabled: true, horizonMinutes: 5, oiShare: 0.1 }),
  updateEveryMinutes: 5,
  priorVolPerMin: 0.0006,
  warmupMinutes: 30,
  ewmaMemoryMinutes: 60,
  refitEveryMinutes: 60,
  harLags: Object.freeze([1, 15, 60]),
});

/** Lookahead: 10-min vs 2-hour EWMA, boost ≤ 3×; MM rises at most 2 pp per hour. */
export const DEFAULT_PREDICTIVE: Pick<PredictivePolicyOptions, 'lookahead' | 'maxRisePerHour'> =
  Object.freeze({
    lookahead: Object.freeze({ signal: 'ewma-ratio', shortMinutes: 10, longMinutes: 120, maxBoost: 3 }),
    maxRisePerHour: 0.02,
  });

/** One evaluation of the policy. Ratios are fractions; `mmPpm` / `imPpm` are what was set. */
export interface DynamicDecision {
  readonly minute: number;
  readonly returns: number;
  /** σ of the log return over the horizon (before the boost). */
  readonly sigmaH: number;
  readonly liquidity: number;
  readonly boost: number;
  /** clamp(z σ_h b + L, floor, ceiling), before the rise cap. */
  readonly target: number;
  readonly mmPpm: number;
  readonly imPpm: number;
  /** Whether an update was emitted (the ratio changed). */
  readonly emitted: boolean;
}

export interface DynamicMarginPolicy extends MarginPolicy {
  readonly options: DynamicPolicyOptions | PredictivePolicyOptions;
  /** Evaluations since the last `configFor`. */
  readonly trace: readonly DynamicDecision[];
}

/** Dynamic margin: MM follows forecast volatility plus a liquidity add-on (see the header). */
export function dynamicPolicy(opts: Partial<DynamicPolicyOptions> = {}): DynamicMarginPolicy {
  const o = resolve(opts);
  return build(o, o.name ?? `dynamic-${o.forecaster}`, undefined);
}

/** Predictive margin: dynamic, boosted by a lookahead signal, with a cap on rises (see the header). */
export function predictivePolicy(opts: Partial<PredictivePolicyOptions> = {}): DynamicMarginPolicy {
  const o: PredictivePolicyOptions = {
    ...resolve(opts),
    lookahead: { ...DEFAULT_PREDICTIVE.lookahead, ...opts.lookahead },
    maxRisePerHour: opts.maxRisePerHour ?? DEFAULT_PREDICTIVE.maxRisePerHour,
  };
  const la = o.lookahead;
  if (!(la.shortMinutes >= 1 && la.longMinutes > la.shortMinutes && la.maxBoost >= 1))
    throw new RangeError('lookahead: need 1 <= shortMinutes < longMinutes and maxBoost >= 1');
  if (!(o.maxRisePerHour >= 0)) throw new RangeError('maxRisePerHour must be >= 0');
  return build(o, o.name ?? `predictive-${o.forecaster}`, o);
}

/** The set the comparison script adds with `--dynamic` (fresh instances: the policies are stateful). */
export function dynamicPolicies(): MarginPolicy[] {
  return [
    dynamicPolicy({ forecaster: 'ewma' }),
    dynamicPolicy({ forecaster: 'garch' }),
    dynamicPolicy({ forecaster: 'har' }),
    predictivePolicy({ forecaster: 'ewma' }),
  ];
}

/**
 * Expected cost fraction of unwinding `qtyBase` as `slices` equal market orders, each on a
 * fresh book with `curves` (the worse side): 1 − executionPrice / mid for a sale.
 */
export function unwindCostFraction(curves: BookCurves, qtyBase: number, slices: number): number {
  if (!(qtyBase > 0)) return 0;
  const book = new BookModel({ kind: 'banded', at: () => curves }, { thinning: NO_THINNING, gap: NO_GAP });
  const q = qtyBase / Math.max(1, slices);
  const sell = 1 - book.executionPrice('sell', q, 1);
  const buy = book.executionPrice('buy', q, 1) - 1;
  return Math.max(0, sell, buy);
}

// --- implementation ------------------------------------------------------------------

function resolve(opts: Partial<DynamicPolicyOptions>): DynamicPolicyOptions {
  const o: DynamicPolicyOptions = {
    ...DEFAULT_DYNAMIC,
    ...opts,
    liquidityAddOn: { ...DEFAULT_DYNAMIC.liquidityAddOn, ...opts.liquidityAddOn },
  };
  const intMin = (v: number, what: string) => {
    if (!(Number.isInteger(v) && v >= 1))
      throw new RangeError(`${what} must be a whole number >= 1, got ${v}`);
  };
  intMin(o.horizonMinutes, 'horizonMinutes');
  intMin(o.updateEveryMinutes, 'updateEveryMinutes');
  intMin(o.refitEveryMinutes, 'refitEveryMinutes');
  intMin(o.liquidityAddOn.horizonMinutes, 'liquidityAddOn.horizonMinutes');
  if (!(o.z > 0)) throw new RangeError('z must be > 0');
  if (!(o.floorMm > 0 && o.ceilingMm >= o.floorMm)) throw new RangeError('need 0 < floorMm <= ceilingMm');
  if (!(o.imOverMm >= 1 && o.ceilingMm * o.imOverMm <= 1))
    throw new RangeError('need imOverMm >= 1 and ceilingMm × imOverMm <= 1');
  if (!(o.priorVolPerMin > 0 && o.ewmaMemoryMinutes > 1))
    throw new RangeError('priorVolPerMin > 0, ewmaMemoryMinutes > 1');
  if (!(o.liquidityAddOn.oiShare >= 0)) throw new RangeError('liquidityAddOn.oiShare must be >= 0');
  return o;
}

const PPM = 1_000_000;
const BP_PPM = 100;

/** Ratio → ppm, rounded up to 1 bp. */
const toPpm = (ratio: number) => Math.ceil(Math.round(ratio * PPM) / BP_PPM) * BP_PPM;
const fmtPpm = (ppm: number) => (ppm / PPM).toFixed(6);

function marginOf(mmPpm: number, imPpm: number): MarginModelConfigInput {
  return { kind: 'fixed', initialRatio: fmtPpm(imPpm), maintenance: { ratio: fmtPpm(mmPpm) } };
}

/** EWMA variance of the last `memory`-minute scale; λ = 1 − 1 / memory. */
function ewmaVar(returns: readonly number[], memory: number): number {
  return fitEwma(returns, { lambda: 1 - 1 / memory, initWindow: Math.min(returns.length, 30) }).nextVariance;
}

function build(
  o: DynamicPolicyOptions,
  name: string,
  pred: PredictivePolicyOptions | undefined,
): DynamicMarginPolicy {
  const floorPpm = toPpm(o.floorMm);
  const ceilPpm = Math.floor(Math.round(o.ceilingMm * PPM) / BP_PPM) * BP_PPM;
  const clampPpm = (p: number) => Math.max(floorPpm, Math.min(ceilPpm, p));
  const imFor = (mm: number) => Math.min(PPM, Math.round(mm * o.imOverMm));

  // Per-run state, reset by configFor.
  let prices: number[] = [];
  let returns: number[] = [];
  let lastEval = Number.NEGATIVE_INFINITY;
  let mmPpm = 0;
  let trace: DynamicDecision[] = [];
  let garch: { params: GarchParams; at: number } | undefined;
  let har: { coefficients: HarCoefficients; at: number } | undefined;

  const forecast = (): VarianceForecast | undefined => {
    const n = returns.length;
    if (n < o.warmupMinutes) return undefined;
    const ewma = () => fitEwma(returns, { lambda: 1 - 1 / o.ewmaMemoryMinutes, initWindow: Math.min(n, 30) });
    if (o.forecaster === 'ewma') return ewma();
    if (o.forecaster === 'garch') {
      if (!garch || n - garch.at >= o.refitEveryMinutes) {
        try {
          const fit = fitGarch(returns, garch ? { start: garch.params } : {});
          garch = { params: fit.params, at: n };
          return fit;
        } catch {
          return ewma();
        }
      }
      return garchWithParams(garch.params, returns);
    }
    const lags = o.harLags;
    const rv = returns.map((r) => r * r);
    if (n < lags[lags.length - 1]! + lags.length + 2) return ewma();
    if (!har || n - har.at >= o.refitEveryMinutes) {
      try {
        const fit = fitHar(rv, { lags });
        har = { coefficients: fit.coefficients, at: n };
        return fit;
      } catch {
        return ewma();
      }
    }
    return harWithCoefficients(har.coefficients, rv, { lags });
  };

  const initialPpm = () => clampPpm(toPpm(o.z * o.priorVolPerMin * Math.sqrt(o.horizonMinutes)));

  const policy: DynamicMarginPolicy = {
    name,
    options: pred ?? o,
    description:
      `MM = clamp(${o.z}·σ${o.horizonMinutes}m[${o.forecaster}]` +
      (pred
        ? `·boost(${pred.lookahead.shortMinutes}/${pred.lookahead.longMinutes}m ≤${pred.lookahead.maxBoost}×)`
        : '') +
      (o.liquidityAddOn.enabled
        ? ` + unwind ${o.liquidityAddOn.oiShare * 100}% OI / ${o.liquidityAddOn.horizonMinutes}m`
        : '') +
      `, ${o.floorMm * 100}%, ${o.ceilingMm * 100}%), IM = ${o.imOverMm}×MM` +
      (pred ? `, rise ≤ ${pred.maxRisePerHour * 100} pp/h` : ''),
    get trace() {
      return trace;
    },
    configFor() {
      prices = [];
      returns = [];
      lastEval = Number.NEGATIVE_INFINITY;
      trace = [];
      garch = undefined;
      har = undefined;
      mmPpm = initialPpm();
      return { margin: marginOf(mmPpm, imFor(mmPpm)) };
    },
    onTick(tick: PolicyTick): PolicyUpdate | undefined {
      if (mmPpm === 0) mmPpm = initialPpm(); // onTick without configFor: start from the prior
      const px = tick.exogenousPx;
      if (px > 0 && Number.isFinite(px)) {
        const prev = prices[prices.length - 1];
        if (prev !== undefined) returns.push(Math.log(px / prev));
        prices.push(px);
      }
      if (tick.minute - lastEval < o.updateEveryMinutes) return undefined;
      const dt = Number.isFinite(lastEval) ? tick.minute - lastEval : o.updateEveryMinutes;
      lastEval = tick.minute;

      const f = forecast();
      const sigmaH = f
        ? Math.sqrt(f.cumulativeVariance(o.horizonMinutes))
        : o.priorVolPerMin * Math.sqrt(o.horizonMinutes);
      let boost = 1;
      if (pred && returns.length >= o.warmupMinutes) {
        const s = ewmaVar(returns, pred.lookahead.shortMinutes);
        const l = ewmaVar(returns, pred.lookahead.longMinutes);
        if (l > 0) boost = Math.max(1, Math.min(pred.lookahead.maxBoost, Math.sqrt(s / l)));
      }
      const liq = o.liquidityAddOn;
      const liquidity = liq.enabled
        ? unwindCostFraction(tick.book, liq.oiShare * tick.openInterestBase, liq.horizonMinutes)
        : 0;
      const target = Math.max(o.floorMm, Math.min(o.ceilingMm, o.z * sigmaH * boost + liquidity));
      let next = clampPpm(toPpm(target));
      if (pred && next > mmPpm) {
        const allowance = Math.floor((pred.maxRisePerHour * PPM * dt) / 60);
        next = Math.min(next, mmPpm + allowance);
      }
      const emitted = next !== mmPpm;
      mmPpm = next;
      const imPpm = imFor(mmPpm);
      trace.push({
        minute: tick.minute,
        returns: returns.length,
        sigmaH,
        liquidity,
        boost,
        target,
        mmPpm,
        imPpm,
        emitted,
      });
      return emitted ? { market: { margin: marginOf(mmPpm, imPpm) } } : undefined;
    },
  };
  return policy;
}
