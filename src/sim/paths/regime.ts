/**
 * Two-state regime-switching GBM (Hamilton 1989, "A new approach to the economic analysis
 * of nonstationary time series", Econometrica 57; in continuous time, a Markov-modulated
 * GBM): a hidden state s ∈ {0 = calm, 1 = stressed} follows a continuous-time Markov chain,
 * and within a state the price is a GBM with that state's μ and σ.
 *
 * The chain leaves state i at rate q_i = 1/(mean duration of i), so over a step of Δt it
 * switches with probability 1 - exp(-q_i Δt). Each step uses the state at its start (an
 * O(Δt) discretisation of the switching time, negligible at minute or hour steps), then draws
 * whether to switch for the next step. The stationary share of time in the stressed state is
 * q_0/(q_0 + q_1). The first state is `initialState`, or drawn from the stationary
 * distribution.
 *
 * @example
 * simulateRegimeSwitching({
 *   s0: 100, interval: 'hour', steps: 24 * 365,
 *   regimes: [{ muPerYear: 0.1, sigmaPerYear: 0.4, meanDurationYears: 60 / 365 },
 *             { muPerYear: -0.5, sigmaPerYear: 1.2, meanDurationYears: 5 / 365 }],
 * }, new Rng(5));
 */
import type { Rng } from '../rng.ts';
import { stepYears } from './gbm.ts';
import { checkPathBasics, type PathInterval } from './intervals.ts';
import { Variates } from './samplers.ts';

/** One regime: a GBM and how long a stay lasts on average. */
export interface Regime {
  readonly muPerYear: number;
  readonly sigmaPerYear: number;
  /** Mean time spent in this regime per visit, in years (> 0). */
  readonly meanDurationYears: number;
}

/** Parameters of {@link simulateRegimeSwitching}. */
export interface RegimePathParams {
  readonly s0: number;
  /** [calm, stressed] (any two regimes). */
  readonly regimes: readonly [Regime, Regime];
  readonly interval?: PathInterval;
  readonly dtYears?: number;
  readonly steps: number;
  /** Starting regime; default: drawn from the stationary distribution. */
  readonly initialState?: 0 | 1;
}

/** A simulated regime-switching path. */
export interface RegimePath {
  /** steps + 1 prices, S_0 first. */
  readonly prices: Float64Array;
  /** Regime (0 or 1) during each step (length steps). */
  readonly states: Uint8Array;
}

/** Stationary probability of each regime: [q1, q0]/(q0 + q1) with q_i = 1/duration_i. */
export function stationaryDistribution(regimes: readonly [Regime, Regime]): [number, number] {
  const q0 = 1 / regimes[0].meanDurationYears;
  const q1 = 1 / regimes[1].meanDurationYears;
  return [q1 / (q0 + q1), q0 / (q0 + q1)];
}

/** A two-state regime-switching GBM path. */
export function simulateRegimeSwitching(params: RegimePathParams, rng: Rng | Variates): RegimePath {
  const dt = stepYears(params);
  checkPathBasics(params.s0, params.steps, dt);
  for (const r of params.regimes)
    if (!(r.sigmaPerYear >= 0 && r.meanDurationYears > 0))
      throw new RangeError('regime: sigma must be >= 0 and mean duration > 0');
  const v = rng instanceof Variates ? rng : new Variates(rng);
  const drift = params.regimes.map((r) => (r.muPerYear - (r.sigmaPerYear * r.sigmaPerYear) / 2) * dt);
  const vol = params.regimes.map((r) => r.sigmaPerYear * Math.sqrt(dt));
  const leave = params.regimes.map((r) => 1 - Math.exp(-dt / r.meanDurationYears));
  let state: 0 | 1 = params.initialState ?? (v.uniform() < stationaryDistribution(params.regimes)[0] ? 0 : 1);
  const prices = new Float64Array(params.steps + 1);
  const states = new Uint8Array(params.steps);
  let x = Math.log(params.s0);
  prices[0] = params.s0;
  for (let k = 0; k < params.steps; k++) {
    states[k] = state;
    x += drift[state]! + vol[state]! * v.normal();
    prices[k + 1] = Math.exp(x);
    if (v.uniform() < leave[state]!) state = state === 0 ? 1 : 0;
  }
  return { prices, states };
}
