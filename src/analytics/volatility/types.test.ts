import { describe, expect, it } from 'vitest';
import { fitEwma } from './ewma.ts';
import { annualizedVolatility, assertHorizon } from './types.ts';

describe('annualizedVolatility', () => {
  it('flat_daily_forecast', () => {
    // daily variance 0.0009 (3% a day) → 3% · √365 ≈ 57.3% a year, whatever the horizon
    const f = { forecast: () => 0.0009, cumulativeVariance: (h: number) => h * 0.0009 };
    expect(annualizedVolatility(f, 1, 365)).toBeCloseTo(0.03 * Math.sqrt(365), 14);
    expect(annualizedVolatility(f, 7, 365)).toBeCloseTo(0.03 * Math.sqrt(365), 14);
  });
  it('uses_the_average_variance_over_the_horizon', () => {
    const f = {
      forecast: (h: number) => h * 1e-4,
      cumulativeVariance: (h: number) => (h * (h + 1) * 1e-4) / 2,
    };
    expect(annualizedVolatility(f, 3, 365)).toBeCloseTo(Math.sqrt(2e-4 * 365), 14);
  });
  it('hourly_ewma', () => {
    const f = fitEwma([0.001, -0.002, 0.0015]);
    expect(annualizedVolatility(f, 24, 8760)).toBeCloseTo(Math.sqrt(f.nextVariance * 8760), 14);
  });
  it('rejects_bad_horizon', () => {
    expect(() => assertHorizon(1.5)).toThrow(RangeError);
    expect(() => annualizedVolatility(fitEwma([0.01]), 1, 0)).toThrow(RangeError);
  });
});
