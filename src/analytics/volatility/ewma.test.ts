import { describe, expect, it } from 'vitest';
import { ewmaLambdaForInterval, ewmaModel, fitEwma } from './ewma.ts';

describe('EWMA', () => {
  it('hand_computed_recursion', () => {
    // σ²_1 = r_1² = 1e-4; σ²_2 = 0.94·1e-4 + 0.06·1e-4 = 1e-4; σ²_3 = 0.94·1e-4 + 0.06·4e-4 = 1.18e-4
    const f = fitEwma([0.01, -0.02], { lambda: 0.94, initWindow: 1 });
    expect(f.conditionalVariances[0]).toBeCloseTo(1e-4, 18);
    expect(f.conditionalVariances[1]).toBeCloseTo(1e-4, 18);
    expect(f.nextVariance).toBeCloseTo(1.18e-4, 18);
  });
  it('flat_term_structure_and_square_root_of_time', () => {
    const f = fitEwma([0.01, -0.03, 0.02, 0.0, 0.05]);
    expect(f.forecast(1)).toBe(f.forecast(30));
    expect(f.cumulativeVariance(10)).toBeCloseTo(10 * f.forecast(1), 18);
  });
  it('init_window_averages_first_squares', () => {
    const f = fitEwma([0.01, 0.03], { initWindow: 2, lambda: 0.5 });
    expect(f.conditionalVariances[0]).toBeCloseTo(5e-4, 18);
  });
  it('riskmetrics_default_lambda', () => expect(fitEwma([0.01]).lambda).toBe(0.94));
  it('hourly_lambda_has_the_same_daily_memory', () => {
    expect(ewmaLambdaForInterval(0.94, 24) ** 24).toBeCloseTo(0.94, 14);
  });
  it('rejects_bad_input', () => {
    expect(() => fitEwma([], {})).toThrow(RangeError);
    expect(() => fitEwma([0.01], { lambda: 1 })).toThrow(RangeError);
    expect(() => fitEwma([Number.NaN])).toThrow(RangeError);
    expect(() => fitEwma([0.01]).forecast(0)).toThrow(RangeError);
  });
  it('model_wrapper', () => expect(ewmaModel().fit([0.01, 0.02]).forecast(1)).toBeGreaterThan(0));
});
