/**
 * HAR-RV coefficient recovery: simulate a HAR process with multiplicative seeded noise,
 * RV_{t+1} = (β₀ + β_d RV_t + β_w RV^w_t + β_m RV^m_t) · exp(σ_u u - σ_u²/2), u ~ N(0, 1),
 * whose conditional mean is the HAR equation, so OLS is consistent. n = 5,000;
 * tolerance ±0.06 on each slope and 25% on the intercept.
 */
import { describe, expect, it } from 'vitest';
import { fitHar } from '../../analytics/volatility/har.ts';
import { Variates } from '../paths/samplers.ts';

function simulateHar(b: readonly [number, number, number, number], n: number, seed: number): Float64Array {
  const v = Variates.fromSeed(seed);
  const su = 0.5;
  const mean = b[0] / (1 - b[1] - b[2] - b[3]);
  const rv = new Float64Array(n + 500);
  for (let t = 0; t < 22; t++) rv[t] = mean;
  for (let t = 21; t < rv.length - 1; t++) {
    let w = 0;
    for (let i = 0; i < 5; i++) w += rv[t - i]!;
    let m = 0;
    for (let i = 0; i < 22; i++) m += rv[t - i]!;
    const cond = b[0] + b[1] * rv[t]! + (b[2] * w) / 5 + (b[3] * m) / 22;
    rv[t + 1] = cond * Math.exp(su * v.normal() - (su * su) / 2);
  }
  return rv.subarray(500);
}

describe('HAR-RV recovers simulated coefficients', () => {
  const b = [4e-5, 0.35, 0.3, 0.2] as const;
  for (const seed of [1, 2, 3]) {
    it(`corsi_like_seed_${seed}`, () => {
      const fit = fitHar(simulateHar(b, 5000, seed));
      const c = fit.coefficients;
      expect(Math.abs(c.slopes[0]! - b[1])).toBeLessThanOrEqual(0.06);
      expect(Math.abs(c.slopes[1]! - b[2])).toBeLessThanOrEqual(0.06);
      expect(Math.abs(c.slopes[2]! - b[3])).toBeLessThanOrEqual(0.06);
      expect(Math.abs(c.intercept / b[0] - 1)).toBeLessThanOrEqual(0.25);
    });
  }
  it('same_seed_same_forecasts', () => {
    const a = fitHar(simulateHar(b, 1000, 7));
    const c = fitHar(simulateHar(b, 1000, 7));
    expect(Array.from(c.forecastPath(10))).toEqual(Array.from(a.forecastPath(10)));
  });
});
