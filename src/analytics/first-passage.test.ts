/**
 * First-passage probabilities: the closed form checked against independent calculations —
 * the plain reflection principle 2Φ(ln(L/S)/(σ√T)) for the driftless case, Simpson
 * integration of the inverse-Gaussian first-passage density (below), and mpmath vectors
 * computed by quadrature of the same density at 50 digits (testdata/).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../core/pricing/normal.ts';
import {
  brownianHitProbability,
  gbmHitProbability,
  liquidationProbability,
  MINUTES_PER_YEAR,
} from './first-passage.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/first_passage_mpmath.json', import.meta.url), 'utf8'),
) as {
  firstPassage: {
    name: string;
    distance: number;
    driftTowards: number;
    sigma: number;
    horizon: number;
    probability: string;
  }[];
};

/**
 * ∫₀ᵀ f(t) dt for the first-passage density f(t) = a/(σ√(2πt³)) exp(-(a - mt)²/(2σ²t)),
 * by composite Simpson on a grid in u = √t (which removes the steep start).
 */
function densityIntegral(a: number, m: number, sigma: number, T: number, n = 20_000): number {
  const U = Math.sqrt(T);
  const h = U / n;
  const g = (u: number): number => {
    if (u === 0) return 0;
    const t = u * u;
    const f =
      (a / (sigma * Math.sqrt(2 * Math.PI * t * t * t))) *
      Math.exp(-((a - m * t) ** 2) / (2 * sigma * sigma * t));
    return f * 2 * u; // dt = 2u du
  };
  let s = g(0) + g(U);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * g(i * h);
  return (s * h) / 3;
}

describe('closed form vs independent calculations', () => {
  const driftless: [string, number, number, number, number][] = [
    // name, S, L, σ, T
    ['driftless_btc_10pct_1d', 60_000, 54_000, 0.6, 1 / 365],
    ['driftless_btc_10pct_30d', 60_000, 54_000, 0.6, 30 / 365],
    ['driftless_eth_25pct_1y', 3_000, 2_250, 0.9, 1],
    ['driftless_near_barrier_1min', 100, 99.9, 0.8, 1 / MINUTES_PER_YEAR],
  ];
  for (const [name, S, L, sigma, T] of driftless) {
    it(name, () => {
      // ν = μ - σ²/2 = 0 ⇔ μ = σ²/2: the log price is a driftless Brownian motion.
      const want = 2 * normalCdf(Math.log(L / S) / (sigma * Math.sqrt(T)));
      const got = gbmHitProbability({
        spot: S,
        barrier: L,
        muPerYear: (sigma * sigma) / 2,
        sigmaPerYear: sigma,
        horizonYears: T,
      });
      expect(Math.abs(got - want)).toBeLessThan(1e-15);
      // Mirror barrier S²/L above: same distance in log space, same probability (up to the
      // rounding of S²/L, which moves a 0.001 log-distance by ~1e-16 relative).
      const up = gbmHitProbability({
        spot: S,
        barrier: (S * S) / L,
        muPerYear: (sigma * sigma) / 2,
        sigmaPerYear: sigma,
        horizonYears: T,
      });
      expect(Math.abs(up - want)).toBeLessThan(1e-12);
    });
  }

  const drifted: [string, number, number, number, number][] = [
    // name, a, m, σ, T
    ['towards_moderate', 0.2, 0.3, 0.4, 1],
    ['away_moderate', 0.2, -0.3, 0.4, 1],
    ['martingale_long_week', Math.log(60 / 54), 0.18, 0.6, 7 / 365],
    ['high_vol_quarter', 0.3, -1.0, 1.5, 0.25],
  ];
  for (const [name, a, m, sigma, T] of drifted) {
    it(`simpson_density_${name}`, () => {
      const want = densityIntegral(a, m, sigma, T);
      expect(Math.abs(brownianHitProbability(a, m, sigma, T) - want)).toBeLessThan(1e-9);
    });
  }

  for (const v of vectors.firstPassage) {
    it(`mpmath_${v.name}`, () => {
      const want = Number(v.probability);
      const got = brownianHitProbability(v.distance, v.driftTowards, v.sigma, v.horizon);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-11);
    });
  }
});

describe('edge cases', () => {
  it('at_or_beyond_barrier_is_certain', () => {
    expect(brownianHitProbability(0, 0, 0.5, 1)).toBe(1);
    expect(brownianHitProbability(-0.1, 0, 0.5, 1)).toBe(1);
    expect(
      gbmHitProbability({ spot: 100, barrier: 100, muPerYear: 0, sigmaPerYear: 0.5, horizonYears: 1 }),
    ).toBe(1);
  });
  it('zero_horizon_is_impossible', () => expect(brownianHitProbability(0.1, 0, 0.5, 0)).toBe(0));
  it('zero_vol_is_deterministic', () => {
    expect(brownianHitProbability(0.1, 0.2, 0, 1)).toBe(1); // drifts 0.2 ≥ 0.1 within T
    expect(brownianHitProbability(0.1, 0.05, 0, 1)).toBe(0);
    expect(brownianHitProbability(0.1, -0.2, 0, 1)).toBe(0);
  });
  it('infinite_horizon', () => {
    expect(brownianHitProbability(0.1, 0, 0.5, Number.POSITIVE_INFINITY)).toBe(1);
    expect(brownianHitProbability(0.1, 0.3, 0.5, Number.POSITIVE_INFINITY)).toBe(1);
    // drift away: exp(2ma/σ²)
    expect(brownianHitProbability(0.1, -0.3, 0.5, Number.POSITIVE_INFINITY)).toBeCloseTo(
      Math.exp((2 * -0.3 * 0.1) / 0.25),
      15,
    );
    // a martingale GBM reaches a ceiling L > S with probability S/L
    expect(
      gbmHitProbability({
        spot: 100,
        barrier: 125,
        muPerYear: 0,
        sigmaPerYear: 0.7,
        horizonYears: Number.POSITIVE_INFINITY,
      }),
    ).toBeCloseTo(0.8, 14);
  });
  it('huge_exponent_times_tiny_tail_stays_finite', () => {
    // 2ma/σ² = 2·50·5/0.01 = 50,000: exp overflows on its own, the product does not.
    const p = brownianHitProbability(5, 50, 0.1, 1);
    expect(p).toBe(1);
    const q = brownianHitProbability(5, 50, 0.1, 0.05); // mT = 2.5 < 5: unlikely
    expect(q).toBeGreaterThanOrEqual(0);
    expect(q).toBeLessThan(1e-10);
  });
  it('rejects_bad_inputs', () => {
    expect(() => brownianHitProbability(0.1, 0, -0.1, 1)).toThrow(RangeError);
    expect(() => brownianHitProbability(Number.NaN, 0, 0.1, 1)).toThrow(RangeError);
    expect(() =>
      gbmHitProbability({ spot: 0, barrier: 1, muPerYear: 0, sigmaPerYear: 0.1, horizonYears: 1 }),
    ).toThrow(RangeError);
  });
});

describe('liquidationProbability', () => {
  it('long_btc_10pct_day_60vol', () => {
    // μ = 0: ν = -σ²/2 = -0.18, towards the floor: m = +0.18.
    expect(liquidationProbability('long', 60_000, 54_000, 0.6, 1 / 365)).toBeCloseTo(
      brownianHitProbability(Math.log(60 / 54), 0.18, 0.6, 1 / 365),
      16,
    );
    expect(liquidationProbability('long', 60_000, 54_000, 0.6, 1 / 365)).toBeCloseTo(0.000836945032415, 14);
  });
  it('short_btc_10pct_week_60vol', () => {
    expect(liquidationProbability('short', 60_000, 66_000, 0.6, 7 / 365)).toBeCloseTo(0.2395421446136306, 14);
  });
  it('already_liquidatable_is_one', () => {
    expect(liquidationProbability('long', 100, 100, 0.5, 1 / 365)).toBe(1);
    expect(liquidationProbability('long', 100, 120, 0.5, 1 / 365)).toBe(1);
    expect(liquidationProbability('short', 100, 90, 0.5, 1 / 365)).toBe(1);
  });
  it('no_liquidation_price_is_zero', () => {
    expect(liquidationProbability('long', 100, null, 0.5, 1)).toBe(0);
    expect(liquidationProbability('long', 100, 0, 0.5, 1)).toBe(0);
    expect(liquidationProbability('long', 100, -5, 0.5, 1)).toBe(0);
    expect(liquidationProbability('short', 100, Number.POSITIVE_INFINITY, 0.5, 1)).toBe(0);
  });
  it('drift_option_moves_the_answer', () => {
    const base = liquidationProbability('long', 100, 80, 0.8, 0.25);
    expect(liquidationProbability('long', 100, 80, 0.8, 0.25, { muPerYear: 1 })).toBeLessThan(base);
    expect(liquidationProbability('long', 100, 80, 0.8, 0.25, { muPerYear: -1 })).toBeGreaterThan(base);
  });
});
