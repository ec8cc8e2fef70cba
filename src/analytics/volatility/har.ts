/**
 * HAR-RV: the heterogeneous autoregressive model of realised variance (Corsi 2009, "A simple
 * approximate long-memory model of realized volatility", J. Financial Econometrics 7(2)).
 *
 * Traders at different horizons (daily, weekly, monthly) react to volatility over their own
 * horizon; the cascade is captured by regressing tomorrow's realised variance on averages of
 * the past day, week and month:
 *
 *   RV_{t+1} = β₀ + β_d RV_t + β_w RV^{(w)}_t + β_m RV^{(m)}_t + u_{t+1},
 *   RV^{(w)}_t = (1/5) Σ_{i=0..4} RV_{t-i},   RV^{(m)}_t = (1/22) Σ_{i=0..21} RV_{t-i}.
 *
 * (Corsi states it for realised volatility; the variance form above is the one used in most
 * forecasting comparisons, e.g. Patton & Sheppard 2015, and the one whose forecasts are
 * variances directly.) The window lengths are options (`lags`, default [1, 5, 22] trading
 * days); for hourly data [1, 24, 168] gives hour, day and week components.
 *
 * Fitting is ordinary least squares by Householder QR (./linalg.ts) over every t with a full
 * monthly window, t = L-1 .. n-2 (L = longest lag). Forecasts iterate the fitted equation,
 * feeding forecasts back in as future RV (Corsi 2009 §4). OLS can forecast a negative
 * variance after a calm spell following a spike; a forecast is floored at the smallest
 * positive RV seen in the fit sample (`floor`), so QLIKE and the first-passage formulas
 * always get a positive variance.
 *
 * Input: a realised-variance series, e.g. the daily sum of squared intraday log returns
 * (RV_t = Σ_j r²_{t,j}), or daily squared returns when nothing finer is available (then the
 * model is a HAR on a much noisier proxy; `fitHarFromReturns`).
 *
 * @example
 * const fit = fitHar(dailyRv);
 * fit.coefficients; // { intercept, daily, weekly, monthly }
 * fit.forecast(1);  // tomorrow's RV
 */
import { leastSquares } from './linalg.ts';
import { assertHorizon, assertSeries, type VarianceForecast, type VarianceModel } from './types.ts';

/** HAR coefficients: RV_{t+1} = intercept + Σ_j coef_j · mean(RV over the last lags[j]). */
export interface HarCoefficients {
  readonly intercept: number;
  /** One per component, in the order of `lags` (default: daily, weekly, monthly). */
  readonly slopes: readonly number[];
}

/** Options of {@link fitHar}. */
export interface HarOptions {
  /** Component window lengths in periods, increasing (default [1, 5, 22]). */
  readonly lags?: readonly number[];
}

/** A fitted HAR model. */
export interface HarFit extends VarianceForecast {
  readonly lags: readonly number[];
  readonly coefficients: HarCoefficients;
  /** In-sample R² of the regression (absent when built from given coefficients). */
  readonly rSquared?: number;
  /** Number of regression observations (absent when built from given coefficients). */
  readonly observations?: number;
  /** Lower bound applied to forecasts: the smallest positive RV in the sample. */
  readonly floor: number;
  /** Forecasts of RV for steps 1..h, iterated. */
  forecastPath(h: number): Float64Array;
}

/** Default HAR components: day, week (5 trading days), month (22 trading days). */
export const HAR_DAILY_LAGS: readonly number[] = [1, 5, 22];

function checkLags(lags: readonly number[]): void {
  if (lags.length === 0) throw new RangeError('HAR: need at least one component');
  let prev = 0;
  for (const l of lags) {
    if (!(Number.isInteger(l) && l > prev))
      throw new RangeError(`HAR: lags must be increasing positive integers, got ${lags}`);
    prev = l;
  }
}

/** Regressor row for time t: [1, mean(rv[t-l+1..t]) for l in lags] from prefix sums. */
function regressors(
  prefix: Float64Array,
  t: number,
  lags: readonly number[],
  out: Float64Array,
  offset: number,
): void {
  out[offset] = 1;
  for (let j = 0; j < lags.length; j++) {
    const l = lags[j]!;
    out[offset + 1 + j] = (prefix[t + 1]! - prefix[t + 1 - l]!) / l;
  }
}

function prefixSums(rv: ArrayLike<number>): Float64Array {
  const p = new Float64Array(rv.length + 1);
  for (let i = 0; i < rv.length; i++) p[i + 1] = p[i]! + rv[i]!;
  return p;
}

function smallestPositive(rv: ArrayLike<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < rv.length; i++) {
    const x = rv[i]!;
    if (x > 0 && x < m) m = x;
  }
  return Number.isFinite(m) ? m : Number.MIN_VALUE;
}

function build(
  rv: ArrayLike<number>,
  lags: readonly number[],
  coefficients: HarCoefficients,
  extra: { rSquared?: number; observations?: number },
): HarFit {
  const maxLag = lags[lags.length - 1]!;
  const floor = smallestPositive(rv);
  // Keep the last maxLag values: all that iterated forecasts need.
  const tail: number[] = [];
  for (let i = Math.max(0, rv.length - maxLag); i < rv.length; i++) tail.push(rv[i]!);
  const path = (h: number): Float64Array => {
    assertHorizon(h);
    const hist = tail.slice();
    const out = new Float64Array(h);
    for (let k = 0; k < h; k++) {
      let f = coefficients.intercept;
      for (let j = 0; j < lags.length; j++) {
        const l = lags[j]!;
        let s = 0;
        for (let i = hist.length - l; i < hist.length; i++) s += hist[i]!;
        f += coefficients.slopes[j]! * (s / l);
      }
      f = Math.max(f, floor);
      out[k] = f;
      hist.push(f);
    }
    return out;
  };
  return {
    lags,
    coefficients,
    floor,
    ...extra,
    forecastPath: path,
    forecast: (h) => path(h)[h - 1]!,
    cumulativeVariance: (h) => path(h).reduce((a, b) => a + b, 0),
  };
}

/**
 * Fits HAR-RV by OLS. Needs at least (longest lag + number of components + 2) observations.
 *
 * @param rv realised variances per period (>= 0), oldest first
 * @example
 * fitHar(dailyRv, { lags: [1, 5, 22] }).forecast(1);
 */
export function fitHar(rv: ArrayLike<number>, options: HarOptions = {}): HarFit {
  const lags = options.lags ?? HAR_DAILY_LAGS;
  checkLags(lags);
  const maxLag = lags[lags.length - 1]!;
  const k = lags.length + 1;
  assertSeries(rv, 'HAR', maxLag + k + 1);
  const prefix = prefixSums(rv);
  const n = rv.length - maxLag; // rows: t = maxLag-1 .. rv.length-2
  const x = new Float64Array(n * k);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = maxLag - 1 + i;
    regressors(prefix, t, lags, x, i * k);
    y[i] = rv[t + 1]!;
  }
  const { beta, rss } = leastSquares(x, n, k, y);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let tss = 0;
  for (let i = 0; i < n; i++) tss += (y[i]! - mean) ** 2;
  const coefficients = { intercept: beta[0]!, slopes: Array.from(beta.subarray(1)) };
  return build(rv, lags, coefficients, { rSquared: tss > 0 ? 1 - rss / tss : 0, observations: n });
}

/**
 * A HAR model with given coefficients over `rv` (no estimation), for updating forecasts
 * between periodic re-fits.
 */
export function harWithCoefficients(
  coefficients: HarCoefficients,
  rv: ArrayLike<number>,
  options: HarOptions = {},
): HarFit {
  const lags = options.lags ?? HAR_DAILY_LAGS;
  checkLags(lags);
  if (coefficients.slopes.length !== lags.length) throw new RangeError('HAR: one slope per lag');
  assertSeries(rv, 'HAR', lags[lags.length - 1]!);
  return build(rv, lags, coefficients, {});
}

/** HAR on squared returns (when no intraday data gives a better RV). */
export function fitHarFromReturns(returns: ArrayLike<number>, options: HarOptions = {}): HarFit {
  return fitHar(
    Float64Array.from(returns, (r) => r * r),
    options,
  );
}

/** HAR-RV as a {@link VarianceModel} (its series is the RV, not returns). */
export function harModel(options: HarOptions = {}): VarianceModel<HarFit> {
  return { name: `HAR-RV(${(options.lags ?? HAR_DAILY_LAGS).join(',')})`, fit: (rv) => fitHar(rv, options) };
}
