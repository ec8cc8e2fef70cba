/**
 * Walk-forward evaluation of next-hour variance forecasts: a learned forecaster (a random
 * forest from mljs' `ml-random-forest`, seeded) against EWMA, GARCH(1,1) and HAR on the same
 * bars, scored by QLIKE and by spike detection.
 *
 * Split by time, no look-ahead:
 * - the forecast of bar i uses only bars < i (features are checked: `assertNoLookAhead`);
 * - every `refitEvery` bars the models are re-estimated on the `trainBars` bars just before
 *   the refit point (a rolling window, all of whose targets closed before it), and then frozen
 *   until the next refit; EWMA has a fixed λ and no fit.
 * - the spike threshold is the `spikeQuantile` of the realized proxy over the bars before the
 *   first test bar; a model "alarms" for bar i when its forecast is at or above the
 *   `alarmQuantile` of its own earlier out-of-sample forecasts (after `burnIn` forecasts):
 *   each model gets the same alarm rate, judged on the same later bars.
 *
 * Realized proxy y_i: the Parkinson variance of bar i (see features.ts). QLIKE (Patton 2011)
 * ranks forecasts correctly under such a conditionally unbiased noisy proxy.
 *
 * The forest learns ln y (heavy tails make a raw-variance target dominated by a few hours);
 * its variance forecast is exp(prediction) × the training mean of exp(residual) (Duan's
 * smearing), so that it targets E[y] rather than the geometric mean.
 */
import { RandomForestRegression } from 'ml-random-forest';
import { pairedDifference } from '../../analytics/stats.ts';
import {
  ewmaLambdaForInterval,
  fitGarch,
  fitHar,
  type HarCoefficients,
  qlike,
} from '../../analytics/volatility/index.ts';
import type { Bar, FundingPoint } from './bars.ts';
import {
  assertNoLookAhead,
  FEATURE_LOOKBACK,
  FEATURE_NAMES,
  type FeatureRow,
  featuresAt,
  parkinsonVariance,
} from './features.ts';

export const MODEL_NAMES = ['learned-rf', 'ewma', 'garch', 'har'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface ForestOptions {
  readonly nEstimators: number;
  readonly maxDepth: number;
  readonly minNumSamples: number;
  readonly maxFeatures: number;
  readonly seed: number;
}

/** Chosen before any evaluation for run time on 2 shared cores (mljs' CART is O(n²) per split). */
export const DEFAULT_FOREST: ForestOptions = Object.freeze({
  nEstimators: 25,
  maxDepth: 4,
  minNumSamples: 20,
  maxFeatures: 0.6,
  seed: 42,
});

export interface WalkForwardOptions {
  readonly trainBars: number;
  readonly refitEvery: number;
  /** First forecast bar (default: the first bar with a full lookback and training window). */
  readonly firstTestBar?: number;
  /** Last bar (exclusive) to forecast (default: all). */
  readonly endBar?: number;
  readonly forest: ForestOptions;
  readonly spikeQuantile: number;
  readonly alarmQuantile: number;
  readonly burnIn: number;
  /** HAR components in bars. */
  readonly harLags: readonly number[];
  /** EWMA λ per bar (default: RiskMetrics 0.94 per day at 24 bars a day). */
  readonly ewmaLambda: number;
  /** The feature builder (tests substitute a leaky one to prove the check catches it). */
  readonly features: typeof featuresAt;
}

export const DEFAULT_WALK_FORWARD: WalkForwardOptions = Object.freeze({
  trainBars: 500,
  refitEvery: 336,
  forest: DEFAULT_FOREST,
  spikeQuantile: 0.95,
  alarmQuantile: 0.9,
  burnIn: 168,
  harLags: Object.freeze([1, 6, 24]),
  ewmaLambda: ewmaLambdaForInterval(0.94, 24),
  features: featuresAt,
});

export interface SpikeScore {
  readonly spikes: number;
  readonly alarms: number;
  readonly hits: number;
  readonly precision: number;
  readonly recall: number;
}

export interface ModelEvaluation {
  readonly model: ModelName;
  readonly meanQlike: number;
  /**
   * The learned model only: its per-bar QLIKE minus each baseline's (negative: better), with the
   * paired t and bootstrap intervals of `pairedDifference`. Hourly losses are autocorrelated, so
   * these i.i.d. intervals are narrower than the truth: read "distinguishable" as indicative.
   */
  readonly vs?: readonly {
    readonly baseline: ModelName;
    readonly mean: number;
    readonly lo: number;
    readonly hi: number;
    readonly distinguishable: boolean;
  }[];
  readonly spike: SpikeScore;
}

export interface ForecastEvaluation {
  readonly testBars: number;
  readonly firstTestSec: number;
  readonly lastTestSec: number;
  readonly refits: number;
  readonly spikeThreshold: number;
  readonly models: readonly ModelEvaluation[];
  /** Per test bar: forecast time, the proxy, and each model's forecast (MODEL_NAMES order). */
  readonly forecasts: readonly { readonly t: number; readonly y: number; readonly h: readonly number[] }[];
}

/** A seeded forest fitted to ln y; `predict` returns variance forecasts (smeared). */
export function trainForest(
  X: readonly (readonly number[])[],
  lnY: readonly number[],
  opts: ForestOptions = DEFAULT_FOREST,
): { predict(rows: readonly (readonly number[])[]): number[] } {
  if (X.length !== lnY.length || X.length < 2 * opts.minNumSamples)
    throw new RangeError(`trainForest: need >= ${2 * opts.minNumSamples} rows with one target each`);
  const rf = new RandomForestRegression({
    nEstimators: opts.nEstimators,
    maxFeatures: opts.maxFeatures,
    replacement: true,
    useSampleBagging: true,
    seed: opts.seed,
    noOOB: true,
    treeOptions: { maxDepth: opts.maxDepth, minNumSamples: opts.minNumSamples },
  });
  rf.train(
    X.map((r) => [...r]),
    [...lnY],
  );
  const fitted = rf.predict(X.map((r) => [...r]));
  const smear = fitted.reduce((s, p, k) => s + Math.exp(lnY[k]! - p), 0) / fitted.length;
  return { predict: (rows) => rf.predict(rows.map((r) => [...r])).map((p) => Math.exp(p) * smear) };
}

/** Linear-interpolated quantile of an unsorted sample. */
function quantileOf(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

/** Runs the walk-forward comparison on hourly bars (see the header). */
export function walkForward(
  bars: readonly Bar[],
  funding: readonly FundingPoint[] = [],
  options: Partial<WalkForwardOptions> = {},
): ForecastEvaluation {
  const o: WalkForwardOptions = { ...DEFAULT_WALK_FORWARD, ...options };
  const first = o.firstTestBar ?? FEATURE_LOOKBACK + o.trainBars;
  const end = o.endBar ?? bars.length;
  if (first < FEATURE_LOOKBACK + o.trainBars || first >= end)
    throw new RangeError(`walkForward: first test bar ${first} leaves no training window or no test bar`);
  const pk = bars.map(parkinsonVariance);
  const ret = bars.map((b, i) => (i === 0 ? 0 : Math.log(b.close / bars[i - 1]!.close)));
  const rows = new Map<number, FeatureRow>();
  const row = (i: number) => {
    let r = rows.get(i);
    if (r === undefined) {
      r = o.features(bars, i, funding);
      assertNoLookAhead([r]);
      rows.set(i, r);
    }
    return r;
  };

  // EWMA on returns, causal: σ²_i = λ σ²_{i-1} + (1-λ) r²_{i-1}, started at the mean r² of the first 24 bars.
  const ewma = new Float64Array(end);
  ewma[1] = ret.slice(1, 25).reduce((s, r) => s + r * r, 0) / 24;
  for (let i = 2; i < end; i++) ewma[i] = o.ewmaLambda * ewma[i - 1]! + (1 - o.ewmaLambda) * ret[i - 1]! ** 2;

  let forest: ReturnType<typeof trainForest> | undefined;
  let garch: { omega: number; alpha: number; beta: number } | undefined;
  let garchVar = 0;
  let har: HarCoefficients | undefined;
  let refits = 0;
  const forecasts: { t: number; y: number; h: number[] }[] = [];
  for (let i = first; i < end; i++) {
    if ((i - first) % o.refitEvery === 0) {
      refits++;
      const from = i - o.trainBars;
      const idx = Array.from({ length: o.trainBars }, (_, k) => from + k);
      forest = trainForest(
        idx.map((b) => row(b).values),
        idx.map((b) => Math.log(pk[b]!)),
        o.forest,
      );
      const g = fitGarch(ret.slice(from, i), garch ? { start: garch } : {});
      garch = g.params;
      garchVar = g.nextVariance;
      har = fitHar(pk.slice(from - FEATURE_LOOKBACK, i), { lags: o.harLags }).coefficients;
    } else {
      garchVar = garch!.omega + garch!.alpha * ret[i - 1]! ** 2 + garch!.beta * garchVar;
    }
    let harF = har!.intercept;
    o.harLags.forEach((lag, k) => {
      let s = 0;
      for (let b = i - lag; b < i; b++) s += pk[b]!;
      harF += har!.slopes[k]! * (s / lag);
    });
    const floor = 1e-12;
    const h = [
      Math.max(floor, forest!.predict([row(i).values])[0]!),
      Math.max(floor, ewma[i]!),
      Math.max(floor, garchVar),
      Math.max(floor, harF),
    ];
    forecasts.push({ t: row(i).forecastSec, y: pk[i]!, h });
  }

  const spikeThreshold = quantileOf(pk.slice(FEATURE_LOOKBACK, first), o.spikeQuantile);
  const losses = MODEL_NAMES.map((_, m) => forecasts.map((f) => qlike(f.h[m]!, f.y)));
  const models: ModelEvaluation[] = MODEL_NAMES.map((model, m) => {
    const spike = spikeScore(
      forecasts.map((f) => f.h[m]!),
      forecasts.map((f) => f.y >= spikeThreshold),
      o.alarmQuantile,
      o.burnIn,
    );
    const meanQlike = losses[m]!.reduce((s, x) => s + x, 0) / losses[m]!.length;
    if (model !== 'learned-rf') return { model, meanQlike, spike };
    const vs = MODEL_NAMES.slice(1).map((baseline, k) => {
      const d = pairedDifference(losses[m]!, losses[k + 1]!, { resamples: 1000, seed: o.forest.seed });
      return { baseline, mean: d.t.mean, lo: d.t.lo, hi: d.t.hi, distinguishable: d.distinguishable };
    });
    return { model, meanQlike, vs, spike };
  });
  return {
    testBars: forecasts.length,
    firstTestSec: forecasts[0]!.t,
    lastTestSec: forecasts[forecasts.length - 1]!.t,
    refits,
    spikeThreshold,
    models,
    forecasts,
  };
}

/**
 * Precision and recall of alarms: bar k alarms when h[k] ≥ the `alarmQuantile` of h[0..k-1]
 * (its own past forecasts only); scored on bars k ≥ burnIn.
 */
export function spikeScore(
  h: readonly number[],
  spike: readonly boolean[],
  alarmQuantile: number,
  burnIn: number,
): SpikeScore {
  let spikes = 0;
  let alarms = 0;
  let hits = 0;
  const past: number[] = [];
  for (let k = 0; k < h.length; k++) {
    if (k >= burnIn) {
      // insertion-sorted `past` keeps this O(n log n)-ish for a few thousand bars
      const th = sortedQuantile(past, alarmQuantile);
      const alarm = h[k]! >= th;
      if (spike[k]) spikes++;
      if (alarm) alarms++;
      if (alarm && spike[k]) hits++;
    }
    insertSorted(past, h[k]!);
  }
  return {
    spikes,
    alarms,
    hits,
    precision: alarms > 0 ? hits / alarms : Number.NaN,
    recall: spikes > 0 ? hits / spikes : Number.NaN,
  };
}

function insertSorted(a: number[], x: number): void {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, x);
}

function sortedQuantile(s: readonly number[], p: number): number {
  const pos = (s.length - 1) * p;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

export { FEATURE_NAMES };
