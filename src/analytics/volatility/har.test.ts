import { describe, expect, it } from 'vitest';
import { fitHar, fitHarFromReturns, HAR_DAILY_LAGS, harWithCoefficients } from './har.ts';

/** A deterministic, non-degenerate positive series (no randomness in core tests). */
function series(n: number): number[] {
  return Array.from(
    { length: n },
    (_, i) => 1e-4 * (2 + Math.sin(i / 7) + 0.5 * Math.cos(i / 3.3) + 0.3 * Math.sin(i * 1.7)),
  );
}

/** Runs the HAR recursion with given coefficients (the data-generating process). */
function simulateHar(b: [number, number, number, number], n: number, noise: (i: number) => number): number[] {
  // starts from 22 values of series(); each next value is the HAR equation plus noise(i)
  const rv = series(22);
  while (rv.length < n) {
    const t = rv.length - 1;
    const mean = (l: number): number => rv.slice(t - l + 1, t + 1).reduce((a, x) => a + x, 0) / l;
    rv.push(b[0] + b[1] * rv[t]! + b[2] * mean(5) + b[3] * mean(22) + noise(rv.length));
  }
  return rv;
}

describe('HAR-RV', () => {
  it('recovers_exact_coefficients_when_data_follow_the_equation', () => {
    // 22 arbitrary start values, then 40 steps of the HAR recursion with no error: the OLS fit
    // reproduces the generating coefficients (noisy recovery is in src/sim/volatility).
    const b: [number, number, number, number] = [2e-5, 0.35, 0.3, 0.2];
    const rv = simulateHar(b, 62, () => 0);
    const fit = fitHar(rv);
    expect(fit.coefficients.intercept).toBeCloseTo(b[0], 9);
    expect(fit.coefficients.slopes[0]).toBeCloseTo(b[1], 5);
    expect(fit.coefficients.slopes[1]).toBeCloseTo(b[2], 5);
    expect(fit.coefficients.slopes[2]).toBeCloseTo(b[3], 5);
    expect(fit.rSquared).toBeGreaterThan(1 - 1e-9);
    expect(fit.observations).toBe(62 - 22);
  });

  it('one_step_forecast_is_the_fitted_equation', () => {
    const rv = series(300);
    const fit = fitHar(rv);
    const n = rv.length;
    const mean = (l: number): number => rv.slice(n - l).reduce((a, x) => a + x, 0) / l;
    const c = fit.coefficients;
    const want = c.intercept + c.slopes[0]! * rv[n - 1]! + c.slopes[1]! * mean(5) + c.slopes[2]! * mean(22);
    expect(fit.forecast(1)).toBeCloseTo(Math.max(want, fit.floor), 18);
  });

  it('iterated_forecasts_feed_back', () => {
    const rv = series(300);
    const fit = fitHar(rv);
    const path = fit.forecastPath(3);
    const ext = [...rv, path[0]!];
    const m = (l: number): number => ext.slice(ext.length - l).reduce((a, x) => a + x, 0) / l;
    const c = fit.coefficients;
    expect(path[1]).toBeCloseTo(
      c.intercept + c.slopes[0]! * ext.at(-1)! + c.slopes[1]! * m(5) + c.slopes[2]! * m(22),
      18,
    );
    expect(fit.cumulativeVariance(3)).toBeCloseTo(path[0]! + path[1]! + path[2]!, 18);
    expect(fit.forecast(3)).toBe(path[2]);
  });

  it('forecast_is_floored_at_smallest_positive_rv', () => {
    const rv = series(100);
    const fit = harWithCoefficients({ intercept: -1, slopes: [0, 0, 0] }, rv);
    expect(fit.forecast(1)).toBe(Math.min(...rv.filter((x) => x > 0)));
  });

  it('given_coefficients_reproduce_the_fit', () => {
    const rv = series(250);
    const fit = fitHar(rv);
    expect(harWithCoefficients(fit.coefficients, rv).forecast(5)).toBe(fit.forecast(5));
  });

  it('custom_hourly_lags', () => {
    const rv = series(600);
    const fit = fitHar(rv, { lags: [1, 24, 168] });
    expect(fit.coefficients.slopes).toHaveLength(3);
    expect(fit.observations).toBe(600 - 168);
  });

  it('from_returns_uses_squares', () => {
    const r = series(100).map((x, i) => (i % 2 ? 1 : -1) * Math.sqrt(x));
    expect(fitHarFromReturns(r).coefficients.intercept).toBeCloseTo(
      fitHar(series(100)).coefficients.intercept,
      15,
    );
  });

  it('rejects_bad_input', () => {
    expect(() => fitHar(series(20))).toThrow(RangeError);
    expect(() => fitHar(series(100), { lags: [5, 1] })).toThrow(RangeError);
    expect(() => harWithCoefficients({ intercept: 0, slopes: [1] }, series(50))).toThrow(RangeError);
    expect(HAR_DAILY_LAGS).toEqual([1, 5, 22]);
  });
});
