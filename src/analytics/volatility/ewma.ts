/**
 * EWMA variance (J.P. Morgan/Reuters, "RiskMetrics — Technical Document", 4th ed., 1996,
 * ch. 5): an exponentially weighted average of past squared returns,
 *
 *   σ²_{t+1} = λ σ²_t + (1 - λ) r_t²,
 *
 * with zero mean and the decay factor λ = 0.94 that RiskMetrics chose for daily data
 * (0.97 for monthly). The weight of the return k periods back is (1-λ)λ^k; the effective
 * memory 1/(1-λ) is about 17 days at 0.94. EWMA is an IGARCH(1,1) with ω = 0, so its
 * forecast is flat: E_T[r²_{T+h}] = σ²_{T+1} for every h, and the h-period variance is
 * h·σ²_{T+1} (the square-root-of-time rule).
 *
 * For another sampling interval with the same memory in calendar time, use
 * λ_Δ = λ_day^{Δ/1 day} (e.g. 0.94^(1/24) ≈ 0.99743 per hour): see `ewmaLambdaForInterval`.
 *
 * Initialisation: σ²_1 = mean of the first min(n, `initWindow`) squared returns (default 30),
 * a common choice; its weight after n steps is λ^n (≈ 2e-3 after 100 daily steps).
 *
 * @example
 * const f = fitEwma([0.01, -0.02, 0.015]);
 * f.forecast(1);            // next-period variance
 * f.cumulativeVariance(10); // = 10 × f.forecast(1)
 */
import { assertHorizon, assertSeries, type VarianceForecast, type VarianceModel } from './types.ts';

/** RiskMetrics decay factor for daily data. */
export const RISKMETRICS_DAILY_LAMBDA = 0.94;

/** Options of {@link fitEwma}. */
export interface EwmaOptions {
  /** Decay factor λ in (0, 1) per period (default 0.94, RiskMetrics daily). */
  readonly lambda?: number;
  /** Number of initial squared returns averaged to start the recursion (default 30). */
  readonly initWindow?: number;
}

/** A fitted EWMA. */
export interface EwmaFit extends VarianceForecast {
  readonly lambda: number;
  /** σ²_t for t = 1..n (the variance each return was drawn under, as the filter saw it). */
  readonly conditionalVariances: Float64Array;
  /** σ²_{n+1}: the next-period variance. */
  readonly nextVariance: number;
}

/**
 * The per-interval decay factor with the same calendar-time memory as `lambdaPerDay`.
 * @param periodsPerDay e.g. 24 for hourly data
 * @example ewmaLambdaForInterval(0.94, 24); // ≈ 0.997425
 */
export function ewmaLambdaForInterval(lambdaPerDay: number, periodsPerDay: number): number {
  return lambdaPerDay ** (1 / periodsPerDay);
}

/**
 * Runs the EWMA filter over `returns` (log returns per period, zero mean assumed).
 *
 * @example
 * fitEwma([0.01, -0.02], { lambda: 0.94, initWindow: 1 }).nextVariance;
 * // σ²_1 = 1e-4; σ²_2 = 0.94e-4 + 0.06e-4 = 1e-4; σ²_3 = 0.94e-4 + 0.06 × 4e-4 = 1.18e-4
 */
export function fitEwma(returns: ArrayLike<number>, options: EwmaOptions = {}): EwmaFit {
  const lambda = options.lambda ?? RISKMETRICS_DAILY_LAMBDA;
  if (!(lambda > 0 && lambda < 1)) throw new RangeError(`EWMA lambda must be in (0, 1), got ${lambda}`);
  assertSeries(returns, 'EWMA');
  const m = Math.min(returns.length, options.initWindow ?? 30);
  if (!(m >= 1)) throw new RangeError('EWMA initWindow must be >= 1');
  let v = 0;
  for (let i = 0; i < m; i++) v += returns[i]! ** 2;
  v /= m;
  const conditionalVariances = new Float64Array(returns.length);
  for (let t = 0; t < returns.length; t++) {
    conditionalVariances[t] = v;
    v = lambda * v + (1 - lambda) * returns[t]! ** 2;
  }
  const next = v;
  return {
    lambda,
    conditionalVariances,
    nextVariance: next,
    forecast(h: number): number {
      assertHorizon(h);
      return next;
    },
    cumulativeVariance(h: number): number {
      assertHorizon(h);
      return h * next;
    },
  };
}

/** EWMA as a {@link VarianceModel}. */
export function ewmaModel(options: EwmaOptions = {}): VarianceModel<EwmaFit> {
  return { name: `EWMA(${options.lambda ?? RISKMETRICS_DAILY_LAMBDA})`, fit: (r) => fitEwma(r, options) };
}
