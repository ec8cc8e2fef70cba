/**
 * Merton (1976) jump-diffusion paths ("Option pricing when underlying stock returns are
 * discontinuous", J. Financial Econ. 3): a GBM plus compound-Poisson jumps in the log price,
 *
 *   d ln S = (μ - σ²/2 - λκ) dt + σ dW + dJ,   J = Σ_{i<=N_t} Y_i,  N ~ Poisson(λ t),
 *   Y_i ~ N(m, s²),  κ = E[e^Y - 1] = exp(m + s²/2) - 1,
 *
 * so E[S_t] = S_0 e^{μt} still (the −λκ term compensates the jumps). Jumps give the fat
 * tails and sudden gaps that a GBM lacks (a crash of -10% in a minute). Simulated exactly on
 * the grid: per step, N_k ~ Poisson(λΔt) and the jump sum is N(N_k m, N_k s²).
 *
 * @example
 * simulateMerton({ s0: 100, muPerYear: 0, sigmaPerYear: 0.5, jumpsPerYear: 12, jumpMean: -0.05,
 *                  jumpStd: 0.05, interval: 'hour', steps: 24 * 30 }, new Rng(3)).prices;
 */
import type { Rng } from '../rng.ts';
import { type GbmPathParams, stepYears } from './gbm.ts';
import { checkPathBasics } from './intervals.ts';
import { Variates } from './samplers.ts';

/** Parameters of {@link simulateMerton}. */
export interface MertonPathParams extends GbmPathParams {
  /** Jump intensity λ: expected jumps per year. */
  readonly jumpsPerYear: number;
  /** Mean m of a log jump (e.g. -0.05: jumps of about -5%). */
  readonly jumpMean: number;
  /** Standard deviation s of a log jump. */
  readonly jumpStd: number;
}

/** A simulated jump-diffusion path. */
export interface MertonPath {
  /** steps + 1 prices, S_0 first. */
  readonly prices: Float64Array;
  /** Number of jumps in each step (length steps; step k goes from prices[k] to prices[k+1]). */
  readonly jumps: Uint16Array;
}

/** A Merton jump-diffusion price path. */
export function simulateMerton(params: MertonPathParams, rng: Rng | Variates): MertonPath {
  const dt = stepYears(params);
  checkPathBasics(params.s0, params.steps, dt);
  const { sigmaPerYear: sigma, jumpsPerYear: lambda, jumpMean: m, jumpStd: s } = params;
  if (!(sigma >= 0 && lambda >= 0 && s >= 0))
    throw new RangeError('Merton: sigma, lambda and jumpStd must be >= 0');
  const v = rng instanceof Variates ? rng : new Variates(rng);
  const kappa = Math.exp(m + (s * s) / 2) - 1;
  const drift = (params.muPerYear - (sigma * sigma) / 2 - lambda * kappa) * dt;
  const vol = sigma * Math.sqrt(dt);
  const prices = new Float64Array(params.steps + 1);
  const jumps = new Uint16Array(params.steps);
  let x = Math.log(params.s0);
  prices[0] = params.s0;
  for (let k = 0; k < params.steps; k++) {
    x += drift + vol * v.normal();
    const n = v.poisson(lambda * dt);
    if (n > 0) {
      x += n * m + Math.sqrt(n) * s * v.normal();
      jumps[k] = Math.min(n, 65535);
    }
    prices[k + 1] = Math.exp(x);
  }
  return { prices, jumps };
}
