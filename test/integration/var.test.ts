/**
 * Historical VaR / ES margin: a linear position checked against an independent quantile of the
 * returns, ES ≥ VaR, monotonicity in confidence, √h scaling, the liquidity add-on, the proxy,
 * and the real BTC daily series (data/BTCUSD_1d_candles_full.csv).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  account,
  protectivePut,
  shortStraddle,
  snapshot,
} from '../../src/core/portfolio/portfolio.testkit.ts';
import { historicalVarEs, historicalVarMargin, varPreset } from '../../src/core/portfolio/var.ts';
import { logReturns, readDailyCandles, VOL_DATA_DIR } from '../../src/sim/volatility/data.ts';

/** Deterministic pseudo-random returns (LCG, fat-ish tails). */
function returns(n: number, seed = 7): number[] {
  let x = seed;
  const u = () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: n }, () => {
    const r = (u() + u() + u() - 1.5) * 0.05;
    return u() < 0.05 ? r * 4 : r;
  });
}

const snap = snapshot();
const perp = (size: number, underlying = 'BTC') =>
  account([{ type: 'perpetual', underlying, size, entryPrice: underlying === 'BTC' ? 100_000 : 4_000 }]);

describe('historicalVarMargin', () => {
  const r = returns(500);

  it('linear_position_VaR_is_minus_the_return_quantile_times_notional', () => {
    for (const c of [0.9, 0.95, 0.975, 0.99]) {
      const res = historicalVarMargin(perp(2), snap, { series: { BTC: r } }, varPreset({ confidence: c }));
      // Independently: the loss ranked k = ⌈c·n⌉ ascending is the return ranked n − k + 1 ascending.
      const sorted = [...r].sort((a, b) => a - b);
      const k = Math.ceil(c * r.length);
      const q = sorted[r.length - k]!;
      expect(res.valueAtRisk).toBeCloseTo(-(Math.exp(q) - 1) * 200_000, 6);
      expect(res.observations).toBe(500);
      const tail = sorted.slice(0, r.length - k + 1).map((x) => -(Math.exp(x) - 1) * 200_000);
      expect(res.expectedShortfall).toBeCloseTo(tail.reduce((a, b) => a + b, 0) / tail.length, 6);
      expect(res.initialMargin).toBeCloseTo(res.expectedShortfall, 9);
    }
    // A short position's VaR comes from the other tail.
    const short = historicalVarMargin(
      perp(-1),
      snap,
      { series: { BTC: r } },
      varPreset({ confidence: 0.99 }),
    );
    const sorted = [...r].sort((a, b) => a - b);
    expect(short.valueAtRisk).toBeCloseTo((Math.exp(sorted[Math.ceil(0.99 * 500) - 1]!) - 1) * 100_000, 6);
  });

  it('horizon_scales_log_returns_by_sqrt_h_and_lookback_takes_the_latest', () => {
    const four = historicalVarMargin(perp(1), snap, { series: { BTC: r } }, varPreset({ horizonDays: 4 }));
    const sorted = [...r].sort((a, b) => a - b);
    const q = sorted[500 - Math.ceil(0.99 * 500)]!;
    expect(four.valueAtRisk).toBeCloseTo(-(Math.exp(2 * q) - 1) * 100_000, 6);
    const last = historicalVarMargin(perp(1), snap, { series: { BTC: r } }, varPreset({ lookback: 100 }));
    const direct = historicalVarMargin(perp(1), snap, { series: { BTC: r.slice(400) } }, varPreset());
    expect(last.observations).toBe(100);
    expect(last.valueAtRisk).toBe(direct.valueAtRisk);
  });

  it('ES_at_least_VaR_and_both_monotone_in_confidence', () => {
    const books = [perp(1), account(shortStraddle(0.0687)), account(protectivePut())];
    fc.assert(
      fc.property(
        fc.double({ min: 0.51, max: 0.999, noNaN: true }),
        fc.double({ min: 0.51, max: 0.999, noNaN: true }),
        fc.constantFrom(0, 1, 2),
        (a, b, i) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const h = { series: { BTC: r } };
          const x = historicalVarMargin(books[i]!, snap, h, varPreset({ confidence: lo }));
          const y = historicalVarMargin(books[i]!, snap, h, varPreset({ confidence: hi }));
          expect(x.expectedShortfall).toBeGreaterThanOrEqual(x.valueAtRisk);
          expect(y.expectedShortfall).toBeGreaterThanOrEqual(y.valueAtRisk);
          expect(y.valueAtRisk).toBeGreaterThanOrEqual(x.valueAtRisk);
          expect(y.expectedShortfall).toBeGreaterThanOrEqual(x.expectedShortfall - 1e-9);
        },
      ),
      { numRuns: 60 },
    );
    expect(historicalVarEs([3, 1, 2], 0.6)).toEqual({ valueAtRisk: 2, expectedShortfall: 2.5, tail: [2, 0] });
  });

  it('liquidity_add_on_is_zero_below_the_threshold_and_linear_above', () => {
    const h = { series: { BTC: r } };
    const cfg = varPreset({ liquidity: { rate: 0.1, threshold: 1_000_000 } });
    const below = historicalVarMargin(perp(9), snap, h, cfg); // 900,000 notional
    expect(below.liquidityAddOn).toBe(0);
    const above = historicalVarMargin(perp(-15), snap, h, cfg); // 1,500,000 notional
    expect(above.liquidityAddOn).toBeCloseTo(0.1 * 500_000, 6);
    expect(above.initialMargin).toBeCloseTo(above.expectedShortfall + 50_000, 6);
  });

  it('ES_contributions_sum_to_ES_and_proxy_is_reported', () => {
    const book = account([
      { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 },
      { type: 'perpetual', underlying: 'ETH', size: -10, entryPrice: 4_000 },
    ]);
    expect(() => historicalVarMargin(book, snap, { series: { BTC: r } })).toThrow(/no return series for ETH/);
    const res = historicalVarMargin(book, snap, { series: { BTC: r } }, varPreset({ proxy: 'BTC' }));
    expect(res.underlyings.map((u) => [u.underlying, u.source])).toEqual([
      ['BTC', 'own'],
      ['ETH', 'proxy'],
    ]);
    // β = 1: the pair is 60,000 of BTC-proxied delta.
    const net = historicalVarMargin(perp(0.6), snap, { series: { BTC: r } });
    expect(res.valueAtRisk).toBeCloseTo(net.valueAtRisk, 6);
    const sum = res.underlyings.reduce((a, u) => a + u.esContribution, 0);
    expect(sum).toBeCloseTo(res.expectedShortfall, 6);
  });

  it('real_BTC_daily_series_gives_a_plausible_99pct_1d_VaR', () => {
    const s = readDailyCandles(join(VOL_DATA_DIR, 'BTCUSD_1d_candles_full.csv'), 1_437_436_800);
    const res = historicalVarMargin(perp(1), snap, { series: { BTC: logReturns(s.close) } }, varPreset());
    // 2 years to 2025-09-24, 99% one day: a few percent of 100,000 notional.
    expect(res.valueAtRisk).toBeGreaterThan(2_000);
    expect(res.valueAtRisk).toBeLessThan(15_000);
    expect(res.expectedShortfall).toBeGreaterThanOrEqual(res.valueAtRisk);
  });
});
