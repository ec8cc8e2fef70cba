/**
 * Simulated GARCH(1,1) returns (see src/analytics/volatility/garch.ts for the model):
 *
 *   r_t = σ_t z_t,   σ²_t = ω + α r²_{t-1} + β σ²_{t-1},
 *
 * started at the unconditional variance ω/(1-α-β) and run for `burnIn` steps before the
 * kept sample, so the start is forgotten. z_t is N(0, 1) or a unit-variance Student t.
 *
 * @example
 * const { returns } = simulateGarch({ omega: 1e-5, alpha: 0.08, beta: 0.9, n: 5000 }, new Rng(1));
 */
import type { GarchParams } from '../../analytics/volatility/garch.ts';
import type { Rng } from '../rng.ts';
import { Variates } from './samplers.ts';

/** Parameters of {@link simulateGarch}. */
export interface GarchSimParams extends GarchParams {
  /** Number of returns kept. */
  readonly n: number;
  /** Steps simulated and discarded first (default 1000). */
  readonly burnIn?: number;
  /** Innovations: 'normal' (default) or a unit-variance Student t with ν degrees of freedom. */
  readonly innovations?: 'normal' | { readonly studentT: number };
}

/** Simulated returns and the variances they were drawn under. */
export interface GarchSample {
  readonly returns: Float64Array;
  /** σ²_t of each kept return. */
  readonly variances: Float64Array;
}

/** Simulates a GARCH(1,1) return series. */
export function simulateGarch(params: GarchSimParams, rng: Rng | Variates): GarchSample {
  const { omega, alpha, beta, n } = params;
  if (!(omega > 0 && alpha >= 0 && beta >= 0 && alpha + beta < 1))
    throw new RangeError('simulateGarch: need ω > 0, α, β >= 0, α + β < 1');
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError('simulateGarch: n must be a positive integer');
  const burnIn = params.burnIn ?? 1000;
  const v = rng instanceof Variates ? rng : new Variates(rng);
  const inn = params.innovations ?? 'normal';
  const draw = inn === 'normal' ? () => v.normal() : () => v.studentTUnit(inn.studentT);
  const returns = new Float64Array(n);
  const variances = new Float64Array(n);
  let s2 = omega / (1 - alpha - beta);
  for (let t = -burnIn; t < n; t++) {
    const r = Math.sqrt(s2) * draw();
    if (t >= 0) {
      returns[t] = r;
      variances[t] = s2;
    }
    s2 = omega + alpha * r * r + beta * s2;
  }
  return { returns, variances };
}
