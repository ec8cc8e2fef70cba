/**
 * GARCH(1,1) (Bollerslev 1986, "Generalized autoregressive conditional heteroskedasticity",
 * J. Econometrics 31), fitted by Gaussian (quasi-)maximum likelihood.
 *
 * Model, for returns r_t (log returns per period) with ε_t = r_t - μ:
 *
 *   ε_t = σ_t z_t,  z_t i.i.d. with mean 0 and variance 1,
 *   σ²_t = ω + α ε²_{t-1} + β σ²_{t-1},   ω > 0, α >= 0, β >= 0, α + β < 1.
 *
 * μ = 0 by default (`mean: 'zero'`, the usual choice for daily crypto returns) or the sample
 * mean (`'sample'`, a two-step estimate). σ²_1 is "backcast" as the sample mean of ε² (as
 * rugarch and most packages do). The persistence is p = α + β and the unconditional variance
 * v̄ = ω/(1 - p).
 *
 * Estimation minimises the Gaussian negative log-likelihood (the QLIKE criterion),
 *
 *   -ℓ(ω, α, β) = ½ Σ_t [ ln 2π + ln σ²_t + ε²_t / σ²_t ],
 *
 * which is consistent for (ω, α, β) even when z_t is not normal (QMLE: Bollerslev &
 * Wooldridge 1992; Lee & Hansen 1994). The constraints are built into an unconstrained
 * reparametrisation θ ∈ ℝ³:
 *
 *   p = logistic(θ₁) ∈ (0, 1),  α = p · logistic(θ₂),  β = p - α,  v̄ = s² · exp(θ₃),  ω = v̄(1 - p),
 *
 * (s² = sample variance of ε), so every θ gives an admissible, covariance-stationary model.
 * With `varianceTargeting` (Engle & Mezrich 1996) θ₃ = 0 is fixed and v̄ = s². The optimiser
 * is Nelder–Mead (./optimize.ts) from a fixed grid of starting points (plus `start` if given),
 * restarted at the best point until it stops improving: deterministic, no derivatives.
 *
 * Forecasts (Engle & Bollerslev 1986): with σ²_{T+1} from the filter,
 *
 *   E_T[σ²_{T+h}] = v̄ + p^{h-1} (σ²_{T+1} - v̄),
 *   Σ_{k=1..h} E_T[σ²_{T+k}] = h v̄ + (σ²_{T+1} - v̄)(1 - p^h)/(1 - p).
 *
 * @example
 * const fit = fitGarch(dailyLogReturns);
 * fit.params;               // { omega, alpha, beta }
 * fit.forecast(1);          // next day's variance
 * fit.cumulativeVariance(7) // variance of the next week's return
 */
import { minimizeMultiStart } from './optimize.ts';
import { assertHorizon, assertSeries, type VarianceForecast, type VarianceModel } from './types.ts';

/** GARCH(1,1) parameters (ω in squared return units per period). */
export interface GarchParams {
  readonly omega: number;
  readonly alpha: number;
  readonly beta: number;
}

/** Options of {@link fitGarch}. */
export interface GarchOptions {
  /** 'zero' (default): μ = 0; 'sample': μ = sample mean of the returns. */
  readonly mean?: 'zero' | 'sample';
  /** Fix the unconditional variance at the sample variance (2 free parameters). */
  readonly varianceTargeting?: boolean;
  /** An extra starting point (e.g. the previous fit in a rolling window), tried first. */
  readonly start?: GarchParams;
  /** Skip the starting grid and use only `start` (fast warm re-fits). Needs `start`. */
  readonly onlyStart?: boolean;
}

/** A fitted (or parameter-given) GARCH(1,1) with its filtered variances. */
export interface GarchFit extends VarianceForecast {
  readonly params: GarchParams;
  /** α + β. */
  readonly persistence: number;
  /** ω / (1 - α - β). */
  readonly unconditionalVariance: number;
  /** μ used to centre the returns. */
  readonly mu: number;
  /** Gaussian log-likelihood ℓ = -½ Σ [ln 2π + ln σ²_t + ε²_t/σ²_t]. */
  readonly logLikelihood: number;
  /** σ²_t for t = 1..n. */
  readonly conditionalVariances: Float64Array;
  /** σ²_{n+1}. */
  readonly nextVariance: number;
  /** Optimiser diagnostics (absent when built from given parameters). */
  readonly optimizer?: {
    readonly converged: boolean;
    readonly evaluations: number;
    readonly iterations: number;
  };
}

const LN_2PI = Math.log(2 * Math.PI);
const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

function centre(returns: ArrayLike<number>, mean: 'zero' | 'sample'): { eps: Float64Array; mu: number } {
  let mu = 0;
  if (mean === 'sample') {
    for (let i = 0; i < returns.length; i++) mu += returns[i]!;
    mu /= returns.length;
  }
  const eps = new Float64Array(returns.length);
  for (let i = 0; i < returns.length; i++) eps[i] = returns[i]! - mu;
  return { eps, mu };
}

function meanSquare(eps: Float64Array): number {
  let s = 0;
  for (let i = 0; i < eps.length; i++) s += eps[i]! * eps[i]!;
  return s / eps.length;
}

/**
 * Σ_t [ln σ²_t + ε²_t/σ²_t] (the QLIKE sum; -2ℓ minus n ln 2π) for given parameters, with
 * σ²_1 = backcast. Returns +∞ for inadmissible or numerically broken parameters.
 */
function qlikeSum(eps: Float64Array, omega: number, alpha: number, beta: number, backcast: number): number {
  let v = backcast;
  let s = 0;
  for (let t = 0; t < eps.length; t++) {
    if (!(v > 0)) return Number.POSITIVE_INFINITY;
    const e2 = eps[t]! * eps[t]!;
    s += Math.log(v) + e2 / v;
    v = omega + alpha * e2 + beta * v;
  }
  return Number.isFinite(s) ? s : Number.POSITIVE_INFINITY;
}

function build(
  eps: Float64Array,
  mu: number,
  params: GarchParams,
  backcast: number,
  optimizer?: GarchFit['optimizer'],
): GarchFit {
  const { omega, alpha, beta } = params;
  const n = eps.length;
  const conditionalVariances = new Float64Array(n);
  let v = backcast;
  let s = 0;
  for (let t = 0; t < n; t++) {
    conditionalVariances[t] = v;
    const e2 = eps[t]! * eps[t]!;
    s += LN_2PI + Math.log(v) + e2 / v;
    v = omega + alpha * e2 + beta * v;
  }
  const next = v;
  const p = alpha + beta;
  const vbar = omega / (1 - p);
  return {
    params: { omega, alpha, beta },
    persistence: p,
    unconditionalVariance: vbar,
    mu,
    logLikelihood: -0.5 * s,
    conditionalVariances,
    nextVariance: next,
    ...(optimizer ? { optimizer } : {}),
    forecast(h: number): number {
      assertHorizon(h);
      return vbar + p ** (h - 1) * (next - vbar);
    },
    cumulativeVariance(h: number): number {
      assertHorizon(h);
      return h * vbar + ((next - vbar) * (1 - p ** h)) / (1 - p);
    },
  };
}

function checkParams({ omega, alpha, beta }: GarchParams): void {
  if (!(omega > 0 && alpha >= 0 && beta >= 0 && alpha + beta < 1))
    throw new RangeError(
      `GARCH(1,1) needs ω > 0, α >= 0, β >= 0, α + β < 1; got ω=${omega}, α=${alpha}, β=${beta}`,
    );
}

/**
 * A GARCH(1,1) with given parameters, filtered over `returns` (no estimation). Used to
 * update a forecast daily between periodic re-fits.
 *
 * @example
 * garchWithParams({ omega: 1e-6, alpha: 0.1, beta: 0.85 }, returns).forecast(1);
 */
export function garchWithParams(
  params: GarchParams,
  returns: ArrayLike<number>,
  options: GarchOptions = {},
): GarchFit {
  checkParams(params);
  assertSeries(returns, 'GARCH');
  const { eps, mu } = centre(returns, options.mean ?? 'zero');
  return build(eps, mu, params, meanSquare(eps));
}

/** Starting grid (persistence, α): from low to high persistence, typical of daily data. */
const START_GRID: readonly (readonly [number, number])[] = [
  [0.95, 0.05],
  [0.98, 0.1],
  [0.9, 0.15],
  [0.995, 0.03],
  [0.8, 0.25],
];

/**
 * Fits GARCH(1,1) by Gaussian maximum likelihood (see the module header).
 * Needs at least 10 returns (hundreds for a meaningful fit).
 *
 * @example
 * const fit = fitGarch(returns);
 * fit.params.alpha + fit.params.beta; // persistence, < 1
 */
export function fitGarch(returns: ArrayLike<number>, options: GarchOptions = {}): GarchFit {
  assertSeries(returns, 'GARCH', 10);
  const { eps, mu } = centre(returns, options.mean ?? 'zero');
  const s2 = meanSquare(eps);
  if (!(s2 > 0)) throw new RangeError('GARCH: returns have zero variance');
  const targeting = options.varianceTargeting ?? false;
  const n = eps.length;

  const unpack = (th: readonly number[]): GarchParams => {
    const p = logistic(th[0]!);
    const alpha = p * logistic(th[1]!);
    const beta = p - alpha;
    const vbar = targeting ? s2 : s2 * Math.exp(th[2]!);
    return { omega: vbar * (1 - p), alpha, beta };
  };
  // Mean QLIKE per observation, shifted by ln s² so values are O(1) whatever the scale.
  const objective = (th: readonly number[]): number => {
    const { omega, alpha, beta } = unpack(th);
    if (!(omega > 0) || !(alpha + beta < 1)) return Number.POSITIVE_INFINITY;
    return qlikeSum(eps, omega, alpha, beta, s2) / n - Math.log(s2);
  };
  const pack = (p: number, a: number, vbar: number): number[] => {
    const pc = Math.min(Math.max(p, 1e-4), 1 - 1e-6);
    const share = Math.min(Math.max(a / pc, 1e-4), 1 - 1e-4);
    const th = [logit(pc), logit(share)];
    if (!targeting) th.push(Math.log(Math.max(vbar, 1e-300) / s2));
    return th;
  };

  const starts: number[][] = [];
  if (options.start) {
    const { omega, alpha, beta } = options.start;
    const p = alpha + beta;
    starts.push(pack(p, alpha, p < 1 ? omega / (1 - p) : s2));
  } else if (options.onlyStart) throw new RangeError('GARCH: onlyStart needs start');
  if (!options.onlyStart) for (const [p, a] of START_GRID) starts.push(pack(p, a, s2));

  const result = minimizeMultiStart(objective, starts, {
    xTolerance: 1e-7,
    fTolerance: 1e-12,
    initialStep: 0.5,
    maxIterations: 2000,
    maxEvaluations: 4000,
  });
  const params = unpack(result.x);
  return build(eps, mu, params, s2, {
    converged: result.converged,
    evaluations: result.evaluations,
    iterations: result.iterations,
  });
}

/** GARCH(1,1) as a {@link VarianceModel}. */
export function garchModel(options: GarchOptions = {}): VarianceModel<GarchFit> {
  return { name: 'GARCH(1,1)', fit: (r) => fitGarch(r, options) };
}
