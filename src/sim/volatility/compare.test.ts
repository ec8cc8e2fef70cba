import { describe, expect, it } from 'vitest';
import { RISKMETRICS_DAILY_LAMBDA } from '../../analytics/volatility/ewma.ts';
import { simulateGarch } from '../paths/garch.ts';
import { Rng } from '../rng.ts';
import {
  type ComparisonResult,
  coinbaseDailyDataset,
  compareForecasters,
  defaultMethods,
  ewmaMethod,
  type ForecastMethod,
  formatComparisonTables,
  garchMethod,
  type VolDataset,
} from './compare.ts';

function garchDataset(n: number, seed: number): VolDataset {
  const { returns, variances } = simulateGarch({ omega: 1e-5, alpha: 0.1, beta: 0.85, n }, new Rng(seed));
  return {
    name: 'simulated GARCH',
    period: 'day',
    returns,
    rv: variances, // a perfect proxy: the true conditional variance
    proxy: 'true σ²',
    harLags: [1, 5, 22],
    ewmaLambda: RISKMETRICS_DAILY_LAMBDA,
    range: 'synthetic',
  };
}

describe('compareForecasters', () => {
  it('true_model_wins_on_its_own_data', () => {
    const res = compareForecasters(garchDataset(1500, 1), defaultMethods(), {
      minTrain: 500,
      horizons: [1, 5],
    });
    expect(res).toHaveLength(2);
    const h1 = res[0]!;
    expect(h1.horizon).toBe(1);
    expect(h1.reference).toBe('EWMA');
    expect(h1.scores.map((s) => s.model)).toEqual(['EWMA', 'GARCH(1,1)', 'HAR-RV', 'Mean-RV']);
    expect(h1.scores[0]!.dmQlike).toBeUndefined();
    const garch = h1.scores[1]!;
    expect(garch.n).toBe(1000);
    expect(garch.qlike).toBeLessThan(h1.scores[0]!.qlike);
    expect(garch.qlike).toBeLessThan(0.01); // near-perfect against the true variance
    expect(garch.dmQlike!.statistic).toBeLessThan(-3);
    expect(res[1]!.scores[1]!.n).toBe(1000 - 4); // h = 5 needs 5 future periods
  });

  it('no_look_ahead_and_window_and_refit_schedule', () => {
    const ds = garchDataset(300, 2);
    const seen: [number, number, boolean][] = [];
    const spy: ForecastMethod = {
      name: 'spy',
      forecast(_ds, start, end, refit) {
        seen.push([start, end, refit]);
        return { forecast: () => 1e-4, cumulativeVariance: (h) => h * 1e-4 };
      },
    };
    compareForecasters(ds, [spy], { minTrain: 100, window: 50, refitEvery: 7 });
    expect(seen).toHaveLength(200);
    seen.forEach(([start, end, refit], i) => {
      expect(end).toBe(100 + i); // forecasting period `end` from data strictly before it
      expect(start).toBe(end - 50);
      expect(refit).toBe(i % 7 === 0);
    });
  });

  it('zero_targets_are_dropped_for_every_model', () => {
    const ds = garchDataset(300, 3);
    const rv = Float64Array.from(ds.rv);
    rv[250] = 0;
    const res = compareForecasters({ ...ds, rv }, [ewmaMethod(), garchMethod()], { minTrain: 200 });
    expect(res[0]!.dropped).toBe(1);
    expect(res[0]!.scores.every((s) => s.n === 99 && Number.isFinite(s.qlike))).toBe(true);
  });

  it('rejects_bad_options', () => {
    const ds = garchDataset(100, 4);
    expect(() => compareForecasters(ds, defaultMethods(), { minTrain: 100 })).toThrow(RangeError);
    expect(() => compareForecasters(ds, [], { minTrain: 50 })).toThrow(RangeError);
    expect(() => compareForecasters(ds, defaultMethods(), { minTrain: 50, reference: 'nope' })).toThrow(
      RangeError,
    );
  });
});

describe('real data (Coinbase BTC-USD daily), short run', () => {
  const run = (): ComparisonResult[] =>
    compareForecasters(coinbaseDailyDataset(), defaultMethods(), {
      minTrain: 1000,
      maxOrigins: 150,
      refitEvery: 50,
      horizons: [1, 5],
    });

  it('finite_scores_and_deterministic', () => {
    const a = run();
    for (const r of a)
      for (const s of r.scores) {
        expect(s.n).toBeGreaterThan(140);
        expect(Number.isFinite(s.qlike) && s.qlike > 0).toBe(true);
        expect(Number.isFinite(s.mse) && s.mse > 0).toBe(true);
      }
    expect(run()).toEqual(a);
  });

  it('markdown_table', () => {
    const md = formatComparisonTables(run());
    expect(md).toContain('**Coinbase BTC-USD daily** (2015-07-22 → 2025-09-24)');
    expect(md).toContain('| model | QLIKE | DM vs EWMA (p) | MSE | DM vs EWMA (p) |');
    expect(md).toContain('| EWMA |');
    expect(md).toContain('(reference)');
    expect(md.match(/\*\*\d/g)?.length).toBe(4); // best QLIKE and best MSE, two horizons
  });
});
