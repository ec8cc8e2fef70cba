/**
 * Properties of the first-passage probability (continuous monitoring, GBM):
 * - it is a probability, and at least P(ending beyond the barrier);
 * - it grows with the horizon, and never exceeds the infinite-horizon value;
 * - with a martingale mark (μ = 0) it depends on σ and T only through σ²T, so it grows
 *   with σ (and likewise when the log price is driftless);
 * - long/short mirror symmetry when the log price is driftless.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../core/pricing/normal.ts';
import { brownianHitProbability, gbmHitProbability, liquidationProbability } from './first-passage.ts';

const distance = fc.double({ min: 1e-4, max: 3, noNaN: true });
const drift = fc.double({ min: -5, max: 5, noNaN: true });
const sigma = fc.double({ min: 0.01, max: 3, noNaN: true });
const horizon = fc.double({ min: 1e-6, max: 5, noNaN: true });
const eps = 1e-12;

describe('first passage properties', () => {
  it('is_a_probability_and_at_least_the_terminal_probability', () => {
    fc.assert(
      fc.property(distance, drift, sigma, horizon, (a, m, s, T) => {
        const p = brownianHitProbability(a, m, s, T);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        // P(X_T beyond the barrier) = Φ((-a + mT)/(σ√T)) <= P(touch before T)
        expect(p).toBeGreaterThanOrEqual(normalCdf((-a + m * T) / (s * Math.sqrt(T))) - eps);
      }),
      { numRuns: 2000 },
    );
  });

  it('grows_with_the_horizon_up_to_the_infinite_horizon_value', () => {
    fc.assert(
      fc.property(distance, drift, sigma, horizon, horizon, (a, m, s, t1, t2) => {
        const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const pLo = brownianHitProbability(a, m, s, lo);
        const pHi = brownianHitProbability(a, m, s, hi);
        expect(pHi).toBeGreaterThanOrEqual(pLo - eps);
        expect(brownianHitProbability(a, m, s, Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(pHi - eps);
      }),
      { numRuns: 2000 },
    );
  });

  it('martingale_mark_grows_with_vol', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e5, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        sigma,
        sigma,
        horizon,
        fc.constantFrom<'long' | 'short'>('long', 'short'),
        (mark, frac, s1, s2, T, side) => {
          const liq = side === 'long' ? mark * frac : mark / frac;
          const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
          expect(liquidationProbability(side, mark, liq, hi, T)).toBeGreaterThanOrEqual(
            liquidationProbability(side, mark, liq, lo, T) - eps,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('martingale_mark_depends_on_sigma_squared_times_horizon_only', () => {
    fc.assert(
      fc.property(distance, sigma, horizon, fc.double({ min: 0.1, max: 10, noNaN: true }), (a, s, T, k) => {
        // σ → kσ, T → T/k² leaves σ²T unchanged; with μ = 0, ν = -σ²/2 scales the same way.
        const p1 = gbmHitProbability({
          spot: 1,
          barrier: Math.exp(-a),
          muPerYear: 0,
          sigmaPerYear: s,
          horizonYears: T,
        });
        const p2 = gbmHitProbability({
          spot: 1,
          barrier: Math.exp(-a),
          muPerYear: 0,
          sigmaPerYear: k * s,
          horizonYears: T / (k * k),
        });
        expect(Math.abs(p1 - p2)).toBeLessThan(1e-9);
      }),
      { numRuns: 1000 },
    );
  });

  it('driftless_log_price_grows_with_vol_and_is_symmetric', () => {
    fc.assert(
      fc.property(distance, sigma, sigma, horizon, (a, s1, s2, T) => {
        const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        expect(brownianHitProbability(a, 0, hi, T)).toBeGreaterThanOrEqual(
          brownianHitProbability(a, 0, lo, T) - eps,
        );
        // floor at S·e^{-a} and ceiling at S·e^{a} with ν = 0 (μ = σ²/2): same probability
        const mu = (s1 * s1) / 2;
        const down = gbmHitProbability({
          spot: 50,
          barrier: 50 * Math.exp(-a),
          muPerYear: mu,
          sigmaPerYear: s1,
          horizonYears: T,
        });
        const up = gbmHitProbability({
          spot: 50,
          barrier: 50 * Math.exp(a),
          muPerYear: mu,
          sigmaPerYear: s1,
          horizonYears: T,
        });
        // (the barriers are rounded doubles; near the barrier dP/da is large, hence 1e-9)
        expect(Math.abs(down - up)).toBeLessThan(1e-9);
      }),
      { numRuns: 2000 },
    );
  });

  it('drift_towards_the_barrier_raises_the_probability', () => {
    fc.assert(
      fc.property(distance, drift, drift, sigma, horizon, (a, m1, m2, s, T) => {
        const [lo, hi] = m1 <= m2 ? [m1, m2] : [m2, m1];
        expect(brownianHitProbability(a, hi, s, T)).toBeGreaterThanOrEqual(
          brownianHitProbability(a, lo, s, T) - eps,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
