/**
 * Monte Carlo estimates of first-passage (barrier-hit) probabilities, with standard errors.
 *
 * `gbmHitProbabilityMc` simulates X = ln(S/S_0), a Brownian motion with drift ν = μ - σ²/2,
 * exactly on a grid of `steps` points over the horizon. A path that is beyond the barrier at
 * a grid point has hit it. Between two grid points x_k, x_{k+1} both on the safe side, the
 * path may still have crossed and come back; given the endpoints the path is a Brownian
 * bridge (whatever the drift), and the bridge crosses a level b with probability
 *
 *   p_k = exp(-2 (x_k - b)(x_{k+1} - b) / (σ² Δt))
 *
 * (e.g. Glasserman 2004, "Monte Carlo Methods in Financial Engineering", §6.4; Beaglehole,
 * Dybvig & Zhou 1997). With `bridge: true` (default) each path contributes
 * 1 - Π_k (1 - p_k) (or 1 if it ended a step beyond the barrier), which is an UNBIASED
 * estimate of the continuously monitored probability for any grid, so it can be compared
 * with the closed form (src/analytics/first-passage.ts) at a few standard errors. With
 * `bridge: false` it counts discrete hits only: the probability for a barrier monitored at
 * the grid times, which is lower (Broadie, Glasserman & Kou 1997).
 *
 * `hitProbabilityMc` is the generic discrete-monitoring estimator for any path generator
 * (jump-diffusion, regime switching), where no bridge formula applies.
 *
 * Standard error = sample standard deviation of the per-path values / √paths.
 *
 * @example
 * const est = gbmHitProbabilityMc({ spot: 100, barrier: 90, muPerYear: 0, sigmaPerYear: 0.5,
 *   horizonYears: 0.25, paths: 20_000, steps: 50 }, new Rng(1));
 * est.probability; est.standardError;
 */
import type { GbmHitInput } from '../../analytics/first-passage.ts';
import type { Rng } from '../rng.ts';
import { Variates } from './samplers.ts';

/** A Monte Carlo estimate. */
export interface McEstimate {
  readonly probability: number;
  /** Standard error of `probability`. */
  readonly standardError: number;
  readonly paths: number;
}

/** Inputs of {@link gbmHitProbabilityMc}. */
export interface GbmHitMcInput extends GbmHitInput {
  /** Number of simulated paths. */
  readonly paths: number;
  /** Grid steps over the horizon. */
  readonly steps: number;
  /** Brownian-bridge correction between grid points (default true: continuous monitoring). */
  readonly bridge?: boolean;
}

function summarise(sum: number, sumSq: number, paths: number): McEstimate {
  const mean = sum / paths;
  const variance = paths > 1 ? Math.max(0, (sumSq - paths * mean * mean) / (paths - 1)) : 0;
  return { probability: mean, standardError: Math.sqrt(variance / paths), paths };
}

/** Monte Carlo probability that a GBM touches the barrier within the horizon (see header). */
export function gbmHitProbabilityMc(input: GbmHitMcInput, rng: Rng | Variates): McEstimate {
  const { spot, barrier, muPerYear, sigmaPerYear: sigma, horizonYears, paths, steps } = input;
  if (!(spot > 0 && barrier > 0)) throw new RangeError('MC first passage: spot and barrier must be > 0');
  if (!(Number.isInteger(paths) && paths >= 1 && Number.isInteger(steps) && steps >= 1))
    throw new RangeError('MC first passage: paths and steps must be positive integers');
  if (!(sigma > 0 && horizonYears > 0 && Number.isFinite(horizonYears)))
    throw new RangeError('MC first passage: sigma and horizon must be > 0 and finite');
  const bridge = input.bridge ?? true;
  const v = rng instanceof Variates ? rng : new Variates(rng);
  // Work with the distance to the barrier, oriented so that the barrier is at 0 and the
  // safe side is positive: d = sign · (x - b), sign = +1 for a floor, -1 for a ceiling.
  const b = Math.log(barrier / spot);
  const sign = b < 0 ? 1 : -1;
  const dt = horizonYears / steps;
  const drift = sign * (muPerYear - (sigma * sigma) / 2) * dt;
  const vol = sigma * Math.sqrt(dt);
  const k2 = 2 / (sigma * sigma * dt);
  const d0 = -sign * b;
  let sum = 0;
  let sumSq = 0;
  for (let p = 0; p < paths; p++) {
    let d = d0;
    let logSurvive = 0; // Σ ln(1 - p_k), kept in logs so tiny p_k are not lost
    let value = 0;
    if (d <= 0) value = 1;
    else {
      for (let k = 0; k < steps; k++) {
        const next = d + drift + vol * v.normal();
        if (next <= 0) {
          value = 1;
          break;
        }
        if (bridge) logSurvive += Math.log1p(-Math.exp(-k2 * d * next));
        d = next;
      }
      if (value === 0) value = -Math.expm1(logSurvive);
    }
    sum += value;
    sumSq += value * value;
  }
  return summarise(sum, sumSq, paths);
}

/**
 * Fraction of simulated paths that touch the barrier at a grid point (discrete monitoring),
 * for any path generator. The first price of each path is the start; `barrier` below it is a
 * floor, above it a ceiling.
 *
 * @example
 * hitProbabilityMc((r) => simulateMerton(params, r).prices, 90, 10_000, variates);
 */
export function hitProbabilityMc(
  simulate: (v: Variates) => ArrayLike<number>,
  barrier: number,
  paths: number,
  rng: Rng | Variates,
): McEstimate {
  if (!(Number.isInteger(paths) && paths >= 1)) throw new RangeError('MC: paths must be a positive integer');
  const v = rng instanceof Variates ? rng : new Variates(rng);
  let hits = 0;
  for (let p = 0; p < paths; p++) {
    const prices = simulate(v);
    const s0 = prices[0]!;
    const floor = barrier < s0;
    for (let k = 0; k < prices.length; k++) {
      const s = prices[k]!;
      if (floor ? s <= barrier : s >= barrier) {
        hits++;
        break;
      }
    }
  }
  return summarise(hits, hits, paths);
}
