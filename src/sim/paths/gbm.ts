/**
 * Geometric Brownian motion paths, sampled exactly on a grid:
 *
 *   S_{k+1} = S_k · exp((μ - σ²/2) Δt + σ √Δt · Z_k),   Z_k i.i.d. N(0, 1),
 *
 * which is the solution of dS = μ S dt + σ S dW at the grid points (no discretisation
 * error). μ and σ are per year; Δt in years (`dtYears('minute')` = 1/525,600).
 *
 * @example
 * const p = simulateGbm({ s0: 60_000, muPerYear: 0, sigmaPerYear: 0.6, interval: 'minute', steps: 1440 }, new Rng(1));
 * p.length; // 1441 (S_0 .. S_1440), one simulated day of minute marks
 */
import type { Rng } from '../rng.ts';
import { checkPathBasics, dtYears, type PathInterval } from './intervals.ts';
import { Variates } from './samplers.ts';

/** Parameters of {@link simulateGbm}. */
export interface GbmPathParams {
  /** Starting price (> 0). */
  readonly s0: number;
  /** Drift μ per year (E[S_t] = S_0 e^{μt}). */
  readonly muPerYear: number;
  /** Volatility σ per √year. */
  readonly sigmaPerYear: number;
  /** Step: 'minute' | 'hour' | 'day', or give `dtYears`. */
  readonly interval?: PathInterval;
  /** Step length in years (overrides `interval`). */
  readonly dtYears?: number;
  /** Number of steps; the path has steps + 1 prices. */
  readonly steps: number;
}

/** Resolves the step length of a parameter object. */
export function stepYears(p: { readonly interval?: PathInterval; readonly dtYears?: number }): number {
  if (p.dtYears !== undefined) return p.dtYears;
  if (p.interval !== undefined) return dtYears(p.interval);
  throw new RangeError('path: give interval or dtYears');
}

/**
 * A GBM price path of steps + 1 prices (S_0 first). Pass a `Variates` to share its normal
 * stream with other draws, or an `Rng`.
 */
export function simulateGbm(params: GbmPathParams, rng: Rng | Variates): Float64Array {
  const dt = stepYears(params);
  checkPathBasics(params.s0, params.steps, dt);
  if (!(params.sigmaPerYear >= 0)) throw new RangeError('GBM: sigma must be >= 0');
  const v = rng instanceof Variates ? rng : new Variates(rng);
  const drift = (params.muPerYear - (params.sigmaPerYear * params.sigmaPerYear) / 2) * dt;
  const vol = params.sigmaPerYear * Math.sqrt(dt);
  const out = new Float64Array(params.steps + 1);
  let x = Math.log(params.s0);
  out[0] = params.s0;
  for (let k = 1; k <= params.steps; k++) {
    x += drift + vol * v.normal();
    out[k] = Math.exp(x);
  }
  return out;
}
