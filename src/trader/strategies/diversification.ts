/**
 * Collateral diversification: choose the collateral mix that minimizes the probability that an
 * account is liquidated within a horizon, given the venue's haircuts, a covariance of the
 * assets' returns and the cost of switching from the current mix.
 *
 * Model (a risk screen in float64; the swaps it orders are exact amounts). The account holds
 * collateral worth W at market prices split by weights w (Σw = 1, 0 ≤ w_i ≤ cap_i); the venue
 * counts asset i at (1 − h_i) of its value. Positions add a USD delta e_i per asset (a long
 * perpetual of notional N on asset i: e_i = N). Over a short horizon the account's margin value
 * moves like an arithmetic Brownian motion with the linearised exposure
 *
 *     x_i = W·w_i·(1 − h_i) + e_i,     σ_V² = xᵀ Σ x     (Σ: covariance of log returns per year)
 *
 * and the account is liquidated when its excess over maintenance margin,
 *
 *     E(w) = W·Σ w_i (1 − h_i) + other − MM − cost(w),   cost(w) = W·Σ c_i |w_i − w0_i|
 *
 * (other: equity not in the mix, e.g. unrealised PnL; c_i the fee plus slippage of trading asset
 * i, paid on both legs of a switch), first reaches 0. Driftless first passage (first-passage.ts,
 * reflection principle): P(w) = 2Φ(−E/(σ_V√T)). MM is taken at today's price (its change with
 * the price is second order over the horizon).
 *
 * Optimum: with no haircut and no cost, E is constant and the optimum is the minimum-variance
 * mix of x; in general P(w) is minimised over the capped simplex by a grid (1% steps) refined by
 * pairwise transfers of shrinking size (to 1e-7), which reaches the optimum of this smooth
 * objective on the polytope to that tolerance.
 */
import { brownianHitProbability } from '../../analytics/first-passage.ts';
import { min } from '../../core/num/index.ts';
import {
  type Action,
  type Decision,
  holdingValue,
  type Observation,
  PPM,
  type Strategy,
  StrategyError,
} from './strategy.ts';

export interface MixProblem {
  /** Asset ids, in the order of every vector below. */
  readonly assets: readonly string[];
  /** Haircut per asset, fraction (0.05 = the venue counts 95%). */
  readonly haircuts: readonly number[];
  /** Covariance of log returns, per year. */
  readonly covariance: readonly (readonly number[])[];
  /** Market value of the collateral (USD). */
  readonly collateralValue: number;
  /** Current weights (sum 1). */
  readonly currentWeights: readonly number[];
  /** USD delta of the positions per asset (long perp notional +, short −). */
  readonly exposure: readonly number[];
  /** Maintenance margin (USD). */
  readonly maintenanceMargin: number;
  /** Equity outside the mix (USD), e.g. unrealised PnL or a stable balance not re-allocated. */
  readonly otherEquity?: number;
  /** Cost of trading each asset, fraction of the value traded (fee + slippage). */
  readonly switchCost: readonly number[];
  readonly horizonYears: number;
  /** Largest weight per asset (default 1). */
  readonly maxWeights?: readonly number[];
}

export interface MixResult {
  readonly weights: number[];
  readonly probability: number;
  readonly currentProbability: number;
  /** Cost of switching to `weights` (USD). */
  readonly switchCost: number;
}

function validate(p: MixProblem): void {
  const n = p.assets.length;
  const bad = (m: string) => {
    throw new StrategyError('BAD_PARAMETER', `diversification: ${m}`);
  };
  if (n < 1) bad('no assets');
  for (const [name, v] of [
    ['haircuts', p.haircuts],
    ['currentWeights', p.currentWeights],
    ['exposure', p.exposure],
    ['switchCost', p.switchCost],
    ...(p.maxWeights ? [['maxWeights', p.maxWeights] as const] : []),
  ] as const)
    if (v.length !== n || v.some((x) => !Number.isFinite(x))) bad(`${name} must be ${n} finite numbers`);
  if (
    p.covariance.length !== n ||
    p.covariance.some((r) => r.length !== n || r.some((x) => !Number.isFinite(x)))
  )
    bad(`covariance must be ${n}×${n}`);
  for (let i = 0; i < n; i++) {
    if ((p.covariance[i]![i] ?? -1) < 0) bad('covariance diagonal must be ≥ 0');
    for (let j = 0; j < i; j++)
      if (Math.abs(p.covariance[i]![j]! - p.covariance[j]![i]!) > 1e-12) bad('covariance must be symmetric');
  }
  if (p.haircuts.some((h) => h < 0 || h >= 1)) bad('haircuts must be in [0, 1)');
  if (p.switchCost.some((c) => c < 0)) bad('switch costs must be ≥ 0');
  if (p.currentWeights.some((w) => w < 0) || Math.abs(p.currentWeights.reduce((a, b) => a + b, 0) - 1) > 1e-9)
    bad('current weights must be ≥ 0 and sum to 1');
  if ((p.maxWeights ?? []).reduce((a, b) => a + b, 0) < 1 - 1e-12 && p.maxWeights)
    bad('the weight caps must leave room for 100%');
  if (!(p.collateralValue > 0)) bad('collateral value must be > 0');
  if (!(p.horizonYears > 0)) bad('horizon must be > 0');
  if (!(p.maintenanceMargin >= 0)) bad('maintenance margin must be ≥ 0');
}

/** E(w), σ_V(w) and P(w) of a mix (module header). */
export function mixRisk(p: MixProblem, w: readonly number[]) {
  const n = p.assets.length;
  const W = p.collateralValue;
  let value = p.otherEquity ?? 0;
  let cost = 0;
  const x: number[] = [];
  for (let i = 0; i < n; i++) {
    value += W * w[i]! * (1 - p.haircuts[i]!);
    cost += W * p.switchCost[i]! * Math.abs(w[i]! - p.currentWeights[i]!);
    x.push(W * w[i]! * (1 - p.haircuts[i]!) + p.exposure[i]!);
  }
  let v = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) v += x[i]! * p.covariance[i]![j]! * x[j]!;
  const sigma = Math.sqrt(Math.max(0, v));
  const excess = value - p.maintenanceMargin - cost;
  const probability = brownianHitProbability(excess, 0, sigma, p.horizonYears);
  return { excess, sigma, cost, probability };
}

/**
 * Ranking key: the probability, then (where it underflows to 0 or saturates at 1) the
 * distance in standard deviations E/σ_V, so the search still moves towards safety.
 */
function score(p: MixProblem, w: readonly number[]): [number, number] {
  const r = mixRisk(p, w);
  const z = r.sigma > 0 ? r.excess / r.sigma : r.excess > 0 ? Number.POSITIVE_INFINITY : -1e300;
  return [r.probability, -z];
}
const better = (a: [number, number], b: [number, number]) =>
  a[0] < b[0] || (a[0] === b[0] && a[1] < b[1] - 1e-15);

/** The grid points of the simplex with step 1/k (weights as integers summing to k). */
function* simplex(n: number, k: number, prefix: number[] = []): Generator<number[]> {
  if (n === 1) {
    yield [...prefix, k];
    return;
  }
  for (let i = 0; i <= k; i++) yield* simplex(n - 1, k - i, [...prefix, i]);
}

/** The mix minimising P(liquidation within the horizon), switching cost included (module header). */
export function optimizeMix(p: MixProblem): MixResult {
  validate(p);
  const n = p.assets.length;
  const caps = p.maxWeights ?? p.assets.map(() => 1);
  const fits = (w: readonly number[]) => w.every((x, i) => x >= -1e-15 && x <= caps[i]! + 1e-12);
  // A current mix beyond a cap (a price move pushed it there) is not a candidate: the grid finds one inside.
  let best = [...p.currentWeights];
  let bestScore: [number, number] = fits(best)
    ? score(p, best)
    : [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  const k = n <= 3 ? 100 : n === 4 ? 40 : 10;
  for (const g of simplex(n, k)) {
    const w = g.map((x) => x / k);
    if (!fits(w)) continue;
    const s = score(p, w);
    if (better(s, bestScore)) {
      best = w;
      bestScore = s;
    }
  }
  // Pairwise transfers of shrinking size: move δ of weight from i to j while it helps.
  for (let step = 1 / k; step > 1e-7; step /= 2) {
    let moved = true;
    while (moved) {
      moved = false;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          if (i === j) continue;
          const d = Math.min(step, best[i]!, caps[j]! - best[j]!);
          if (!(d > 0)) continue;
          const w = [...best];
          w[i] = w[i]! - d;
          w[j] = w[j]! + d;
          const s = score(p, w);
          if (better(s, bestScore)) {
            best = w;
            bestScore = s;
            moved = true;
          }
        }
    }
  }
  if (bestScore[0] === Number.POSITIVE_INFINITY)
    throw new StrategyError(
      'BAD_PARAMETER',
      'diversification: no mix on the search grid fits the weight caps',
    );
  const r = mixRisk(p, best);
  return {
    weights: best,
    probability: r.probability,
    currentProbability: mixRisk(p, p.currentWeights).probability,
    switchCost: r.cost,
  };
}

/**
 * Covariance per year of log returns from aligned close series (one row per period, the same
 * dates for every asset), `periodsPerYear` periods a year (365 for daily crypto closes).
 */
export function covarianceFromCloses(
  closes: readonly (readonly number[])[],
  periodsPerYear: number,
): number[][] {
  const n = closes.length;
  if (n < 1) throw new StrategyError('BAD_PARAMETER', 'covariance: no series');
  const len = closes[0]!.length;
  if (closes.some((c) => c.length !== len) || len < 3)
    throw new StrategyError('BAD_PARAMETER', 'covariance: the series must be aligned and have ≥ 3 closes');
  if (closes.some((c) => c.some((x) => !(x > 0))))
    throw new StrategyError('BAD_PARAMETER', 'covariance: closes must be > 0');
  const r = closes.map((c) => c.slice(1).map((x, t) => Math.log(x / c[t]!)));
  const m = r.map((s) => s.reduce((a, b) => a + b, 0) / s.length);
  return r.map((a, i) =>
    r.map((b, j) => {
      let s = 0;
      for (let t = 0; t < a.length; t++) s += (a[t]! - m[i]!) * (b[t]! - m[j]!);
      return (s / (a.length - 1)) * periodsPerYear;
    }),
  );
}

export interface DiversifierConfig {
  readonly assets: readonly string[];
  readonly haircuts: readonly number[];
  readonly covariance: readonly (readonly number[])[];
  readonly switchCost: readonly number[];
  readonly horizonYears: number;
  readonly maxWeights?: readonly number[];
  /** Smallest turnover Σ|Δw| worth trading (e.g. 0.01). */
  readonly minTurnover: number;
}

export interface MixObservation {
  /** Market value of each asset held as collateral, settlement units at `decimals` (≥ 0). */
  readonly values: readonly bigint[];
  readonly decimals: number;
  /** USD delta of the positions per asset. */
  readonly exposure: readonly number[];
  readonly maintenanceMargin: bigint;
  /** Equity outside the mix (unrealised PnL, a negative balance), same units. */
  readonly otherEquity: bigint;
}

export interface MixDecision extends MixResult {
  /** Value to buy (+) or sell (−) of each asset, exact; they sum to 0. */
  readonly trades: bigint[];
  readonly reason: string;
}

/**
 * Exact trades from values to weights: target_i = ⌊W·w_i⌋ (w to 1e-9), the rounding remainder
 * to the asset with the largest weight, so the trades sum to exactly 0.
 */
export function tradesToWeights(values: readonly bigint[], weights: readonly number[]): bigint[] {
  const W = values.reduce((a, b) => a + b, 0n);
  const G = 1_000_000_000n;
  const target = weights.map((w) => (W * BigInt(Math.round(w * 1e9))) / G);
  const top = weights.indexOf(Math.max(...weights));
  target[top] = target[top]! + W - target.reduce((a, b) => a + b, 0n);
  return target.map((t, i) => t - values[i]!);
}

/**
 * Swaps that carry out `trades` (value per asset, summing to 0): sellers matched to buyers in
 * asset order, so at most n − 1 swaps and each asset's net is exactly its trade.
 */
export function swapsOf(assets: readonly string[], trades: readonly bigint[]): Action[] {
  const sell = trades.map((t) => (t < 0n ? -t : 0n));
  const buy = trades.map((t) => (t > 0n ? t : 0n));
  const out: Action[] = [];
  for (let i = 0, j = 0; i < assets.length && j < assets.length; ) {
    if (sell[i] === 0n) i++;
    else if (buy[j] === 0n) j++;
    else {
      const amount = min(sell[i]!, buy[j]!);
      out.push({ kind: 'swap', fromAsset: assets[i]!, toAsset: assets[j]!, amount });
      sell[i] = sell[i]! - amount;
      buy[j] = buy[j]! - amount;
    }
  }
  return out;
}

/**
 * Collateral diversification as a strategy: observe the mix, decide the trades (module header).
 * Through the one interface it reads a perpetuals observation with its `collateral` block: the
 * value of each holding (its assets must be among the configured ones), the USD delta of every
 * linear position on its underlying asset (the managed position needs its `asset`), and the
 * equity outside the mix (the equity less the holdings counted at their haircuts); it answers
 * with swaps.
 */
export class CollateralDiversifier implements Strategy {
  readonly name = 'collateral-diversification';
  constructor(readonly config: DiversifierConfig) {
    if (!(config.minTurnover >= 0))
      throw new StrategyError('BAD_PARAMETER', 'diversification: minTurnover must be ≥ 0');
  }

  decide(obs: Observation): Decision {
    const r = this.choose(this.mixObservation(obs));
    return { actions: swapsOf(this.config.assets, r.trades), reason: r.reason };
  }

  /** The diversifier's own input read from an account observation (class comment). */
  mixObservation(obs: Observation): MixObservation {
    if (obs.kind !== 'perp' || obs.collateral === undefined)
      throw new StrategyError(
        'WRONG_ACCOUNT_KIND',
        'diversification needs a perpetuals account with its collateral holdings',
      );
    const assets = this.config.assets;
    const index = (asset: string | undefined, what: string) => {
      const i = asset === undefined ? -1 : assets.indexOf(asset);
      if (i < 0)
        throw new StrategyError(
          'BAD_PARAMETER',
          `diversification: ${what} ${asset ?? '(no asset)'} is not among ${assets.join(', ')}`,
        );
      return i;
    };
    const values = assets.map(() => 0n);
    let counted = 0n;
    for (const h of obs.collateral.holdings) {
      if (h.qty9 < 0n || h.markPx8 <= 0n || h.haircutPpm < 0n || h.haircutPpm >= PPM)
        throw new StrategyError(
          'BAD_PARAMETER',
          `diversification: holding ${h.asset} needs an amount ≥ 0, a price > 0 and a haircut in [0, 100%)`,
        );
      const v = holdingValue(h, obs.decimals);
      const i = index(h.asset, 'holding');
      values[i] = values[i]! + v;
      counted += v * (PPM - h.haircutPpm);
    }
    const exposure = assets.map(() => 0);
    const delta = (side: 'long' | 'short', q: bigint, px: bigint) =>
      (side === 'long' ? 1 : -1) * ((Number(q) / 1e9) * (Number(px) / 1e8));
    const p = obs.position;
    if (p.sizeQty9 > 0n) {
      const i = index(p.asset, 'position');
      exposure[i] = exposure[i]! + delta(p.side, p.sizeQty9, p.markPx8);
    }
    for (const q of obs.collateral.otherPositions) {
      if (q.sizeQty9 === 0n) continue;
      const i = index(q.asset, `position on ${q.market}`);
      exposure[i] = exposure[i]! + delta(q.side, q.sizeQty9, q.markPx8);
    }
    return {
      values,
      decimals: obs.decimals,
      exposure,
      maintenanceMargin: obs.maintenanceMargin,
      // One rounding (down) of the counted sum, as venues count the margin value.
      otherEquity: obs.equity - counted / PPM,
    };
  }

  /** The mix and the exact trades from the diversifier's own input (module header). */
  choose(o: MixObservation): MixDecision {
    if (o.values.length !== this.config.assets.length || o.values.some((v) => v < 0n))
      throw new StrategyError(
        'BAD_PARAMETER',
        `diversification: ${this.config.assets.length} values ≥ 0 required`,
      );
    const s = 10 ** o.decimals;
    const W = o.values.reduce((a, b) => a + b, 0n);
    if (W <= 0n) throw new StrategyError('BAD_PARAMETER', 'diversification: no collateral');
    const current = o.values.map((v) => Number(v) / Number(W));
    const r = optimizeMix({
      ...this.config,
      collateralValue: Number(W) / s,
      currentWeights: current,
      exposure: o.exposure,
      maintenanceMargin: Number(o.maintenanceMargin) / s,
      otherEquity: Number(o.otherEquity) / s,
    });
    const turnover = r.weights.reduce((a, w, i) => a + Math.abs(w - current[i]!), 0);
    if (turnover < this.config.minTurnover)
      return {
        ...r,
        trades: o.values.map(() => 0n),
        reason: `the best mix is within ${this.config.minTurnover} of the current one`,
      };
    return {
      ...r,
      trades: tradesToWeights(o.values, r.weights),
      reason: `P(liquidation) ${r.currentProbability.toPrecision(3)} → ${r.probability.toPrecision(3)} after switching costs`,
    };
  }
}
