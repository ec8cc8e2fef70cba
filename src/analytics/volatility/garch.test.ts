/**
 * GARCH(1,1) unit tests on deterministic inputs. Parameter recovery on simulated data is in
 * src/sim/volatility/garch-recovery.test.ts (it needs the seeded simulator).
 */
import { describe, expect, it } from 'vitest';
import { fitGarch, garchModel, garchWithParams } from './garch.ts';

const returns = Array.from(
  { length: 400 },
  (_, i) => 0.02 * Math.sin(i * 1.3) * (1 + 0.8 * Math.sin(i / 40)),
);

describe('GARCH(1,1)', () => {
  it('filter_follows_the_recursion', () => {
    const p = { omega: 1e-5, alpha: 0.1, beta: 0.85 };
    const r = [0.01, -0.02, 0.005];
    const fit = garchWithParams(p, r);
    const backcast = (1e-4 + 4e-4 + 0.25e-4) / 3;
    expect(fit.conditionalVariances[0]).toBeCloseTo(backcast, 18);
    const s2 = 1e-5 + 0.1 * 1e-4 + 0.85 * backcast;
    expect(fit.conditionalVariances[1]).toBeCloseTo(s2, 18);
    const s3 = 1e-5 + 0.1 * 4e-4 + 0.85 * s2;
    expect(fit.conditionalVariances[2]).toBeCloseTo(s3, 18);
    expect(fit.nextVariance).toBeCloseTo(1e-5 + 0.1 * 0.25e-4 + 0.85 * s3, 18);
    // log-likelihood by hand
    const ll =
      -0.5 *
      [backcast, s2, s3].reduce((s, v, i) => s + Math.log(2 * Math.PI) + Math.log(v) + r[i]! ** 2 / v, 0);
    expect(fit.logLikelihood).toBeCloseTo(ll, 10);
  });

  it('forecasts_revert_to_the_unconditional_variance', () => {
    const fit = garchWithParams({ omega: 2e-5, alpha: 0.1, beta: 0.8 }, [0.1, 0.1, 0.1]);
    const vbar = 2e-5 / 0.1;
    expect(fit.unconditionalVariance).toBeCloseTo(vbar, 18);
    expect(fit.forecast(2)).toBeCloseTo(vbar + 0.9 * (fit.nextVariance - vbar), 18);
    expect(fit.forecast(500)).toBeCloseTo(vbar, 12);
    let sum = 0;
    for (let h = 1; h <= 10; h++) sum += fit.forecast(h);
    expect(fit.cumulativeVariance(10)).toBeCloseTo(sum, 15);
  });

  it('fit_satisfies_the_constraints_and_beats_its_starts', () => {
    const fit = fitGarch(returns);
    const { omega, alpha, beta } = fit.params;
    expect(omega).toBeGreaterThan(0);
    expect(alpha).toBeGreaterThanOrEqual(0);
    expect(beta).toBeGreaterThanOrEqual(0);
    expect(alpha + beta).toBeLessThan(1);
    expect(fit.optimizer?.converged).toBe(true);
    // ML: no admissible grid point has a higher likelihood
    for (const a of [0.02, 0.05, 0.1, 0.2])
      for (const b of [0.5, 0.7, 0.9])
        if (a + b < 1) {
          const s2 = returns.reduce((s, r) => s + r * r, 0) / returns.length;
          const other = garchWithParams({ omega: s2 * (1 - a - b), alpha: a, beta: b }, returns);
          expect(fit.logLikelihood).toBeGreaterThanOrEqual(other.logLikelihood - 1e-9);
        }
  });

  it('variance_targeting_pins_the_unconditional_variance', () => {
    const fit = fitGarch(returns, { varianceTargeting: true });
    const s2 = returns.reduce((s, r) => s + r * r, 0) / returns.length;
    expect(fit.unconditionalVariance).toBeCloseTo(s2, 15);
  });

  it('sample_mean_option_centres_returns', () => {
    const shifted = returns.map((r) => r + 0.01);
    const fit = fitGarch(shifted, { mean: 'sample' });
    expect(fit.mu).toBeCloseTo(0.01 + returns.reduce((a, b) => a + b, 0) / returns.length, 15);
  });

  it('deterministic', () => {
    expect(fitGarch(returns).params).toEqual(fitGarch(returns).params);
  });

  it('warm_start_reaches_the_same_optimum', () => {
    const cold = fitGarch(returns);
    const warm = fitGarch(returns, { start: cold.params, onlyStart: true });
    expect(warm.logLikelihood).toBeCloseTo(cold.logLikelihood, 6);
  });

  it('rejects_bad_input', () => {
    expect(() => garchWithParams({ omega: 1e-5, alpha: 0.5, beta: 0.5 }, returns)).toThrow(RangeError);
    expect(() => garchWithParams({ omega: 0, alpha: 0.1, beta: 0.5 }, returns)).toThrow(RangeError);
    expect(() => fitGarch([0.01, 0.02])).toThrow(RangeError);
    expect(() => fitGarch(new Array(50).fill(0))).toThrow(RangeError);
    expect(() => fitGarch(returns, { onlyStart: true })).toThrow(RangeError);
  });

  it('model_wrapper', () => expect(garchModel().fit(returns).forecast(1)).toBeGreaterThan(0));
});
