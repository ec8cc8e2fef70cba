/**
 * GARCH(1,1) parameter recovery: simulate n = 5,000 returns with known (ω, α, β) from a
 * seeded generator, fit by Gaussian ML, and require
 *   |α̂ - α| <= 0.03,  |β̂ - β| <= 0.05,  |(α̂ + β̂) - (α + β)| <= 0.02
 * (about 2-3 asymptotic standard errors at n = 5,000), and that the fitted log-likelihood is
 * at least the one at the true parameters (the optimiser found the maximum, not a point
 * near the truth by luck). With Student-t(6) innovations the Gaussian QMLE is still
 * consistent but noisier: tolerances 0.04 / 0.06 / 0.03.
 */
import { describe, expect, it } from 'vitest';
import { fitGarch, type GarchParams, garchWithParams } from '../../analytics/volatility/garch.ts';
import { simulateGarch } from '../paths/garch.ts';
import { Rng } from '../rng.ts';

const N = 5000;
const SETS: [string, GarchParams, number[]][] = [
  ['crypto_like_a08_b90', { omega: 1e-5, alpha: 0.08, beta: 0.9 }, [1, 2, 3, 4, 5]],
  ['persistent_a05_b94', { omega: 2e-6, alpha: 0.05, beta: 0.94 }, [1, 2, 3]],
  ['reactive_a15_b75', { omega: 5e-5, alpha: 0.15, beta: 0.75 }, [1, 2, 3]],
];

describe('GARCH(1,1) recovers simulated parameters (n = 5000)', () => {
  for (const [name, p, seeds] of SETS) {
    for (const seed of seeds) {
      it(`${name}_seed_${seed}`, () => {
        const { returns } = simulateGarch({ ...p, n: N }, new Rng(seed));
        const fit = fitGarch(returns);
        expect(Math.abs(fit.params.alpha - p.alpha)).toBeLessThanOrEqual(0.03);
        expect(Math.abs(fit.params.beta - p.beta)).toBeLessThanOrEqual(0.05);
        expect(Math.abs(fit.persistence - (p.alpha + p.beta))).toBeLessThanOrEqual(0.02);
        expect(fit.logLikelihood).toBeGreaterThanOrEqual(garchWithParams(p, returns).logLikelihood);
        expect(fit.optimizer?.converged).toBe(true);
      });
    }
  }

  it('student_t_innovations_qmle', () => {
    const p = { omega: 1e-5, alpha: 0.08, beta: 0.9 };
    for (const seed of [1, 2, 3]) {
      const { returns } = simulateGarch({ ...p, n: N, innovations: { studentT: 6 } }, new Rng(seed));
      const fit = fitGarch(returns);
      expect(Math.abs(fit.params.alpha - p.alpha)).toBeLessThanOrEqual(0.04);
      expect(Math.abs(fit.params.beta - p.beta)).toBeLessThanOrEqual(0.06);
      expect(Math.abs(fit.persistence - 0.98)).toBeLessThanOrEqual(0.03);
    }
  });

  it('same_seed_same_fit_and_forecasts', () => {
    const p = SETS[0]![1];
    const a = fitGarch(simulateGarch({ ...p, n: 2000 }, new Rng(9)).returns);
    const b = fitGarch(simulateGarch({ ...p, n: 2000 }, new Rng(9)).returns);
    expect(b.params).toEqual(a.params);
    expect([1, 5, 30].map((h) => b.forecast(h))).toEqual([1, 5, 30].map((h) => a.forecast(h)));
  });
});
