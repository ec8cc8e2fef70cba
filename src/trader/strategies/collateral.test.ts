/**
 * Diversification and hedged collateral against hand-derived cases: the two-asset optimum with
 * a known covariance (minimum variance, with and without a position), that a switching cost
 * larger than the gain keeps the current mix, the hedge ratio of a linear and an inverse
 * perpetual, the band, and the carry.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../../core/pricing/normal.ts';
import {
  CollateralDiversifier,
  covarianceFromCloses,
  mixRisk,
  optimizeMix,
  tradesToWeights,
} from './diversification.ts';
import { CollateralHedger, hedgeCarry, hedgeTarget } from './hedged-collateral.ts';
import { StrategyError } from './strategy.ts';

// σ1 = 0.5, σ2 = 0.8, ρ = 0.3: Σ = [[0.25, 0.12], [0.12, 0.64]].
const COV = [
  [0.25, 0.12],
  [0.12, 0.64],
];
const base = {
  assets: ['A', 'B'],
  haircuts: [0, 0],
  covariance: COV,
  collateralValue: 1,
  currentWeights: [0.5, 0.5],
  exposure: [0, 0],
  maintenanceMargin: 0.2,
  switchCost: [0, 0],
  horizonYears: 1 / 365,
};

describe('collateral diversification', () => {
  it('two_assets_minimum_variance', () => {
    // No haircut, no cost: E is fixed, so the optimum minimises variance:
    // w1 = (σ2² − ρσ1σ2)/(σ1² + σ2² − 2ρσ1σ2) = (0.64 − 0.12)/(0.25 + 0.64 − 0.24) = 0.52/0.65 = 0.8.
    const r = optimizeMix(base);
    expect(r.weights[0]).toBeCloseTo(0.8, 6);
    expect(r.weights[1]).toBeCloseTo(0.2, 6);
    // σ_V² at 0.8/0.2: 0.64·0.25 + 2·0.16·0.12 + 0.04·0.64 = 0.16 + 0.0384 + 0.0256 = 0.224;
    // P = 2Φ(−0.8/(√0.224·√(1/365))).
    expect(r.probability).toBeCloseTo(2 * normalCdf(-0.8 / Math.sqrt(0.224 / 365)), 10);
    expect(r.currentProbability).toBeGreaterThan(r.probability);
  });

  it('two_assets_with_a_long_position', () => {
    // A long of 0.5 USD on asset A: x = (w1 + 0.5, 1 − w1). d/dw1 xᵀΣx = 0 ⇔
    // (Σ11 − Σ21)x1 + (Σ12 − Σ22)x2 = 0 ⇔ 0.13(w1 + 0.5) − 0.52(1 − w1) = 0 ⇔ 0.65 w1 = 0.455 ⇔ w1 = 0.7.
    const r = optimizeMix({ ...base, exposure: [0.5, 0] });
    expect(r.weights[0]).toBeCloseTo(0.7, 6);
  });

  it('a_switch_costing_more_than_it_saves_keeps_the_mix', () => {
    // From 0.5/0.5 the best mix lowers σ_V from √0.2825 to √0.224 (z from 0.8/0.5315 to 0.8/0.4733);
    // paying 30% of the value traded on both legs (0.3·0.6 = 0.18 to reach 0.8/0.2) costs more excess
    // than it saves: (0.8 − 0.18)/√0.224 = 1.31 < 0.8/√0.2825 = 1.505.
    const r = optimizeMix({ ...base, switchCost: [0.3, 0.3] });
    expect(r.weights).toEqual([0.5, 0.5]);
    expect(r.switchCost).toBe(0);
  });

  it('haircut_and_cost_enter_the_excess', () => {
    // W = 100, all in A with haircut 10%, MM 50: E = 90 − 50 = 40; x = 90, σ_V = 90·0.5 = 45.
    const r = mixRisk(
      { ...base, collateralValue: 100, haircuts: [0.1, 0], currentWeights: [1, 0], maintenanceMargin: 50 },
      [1, 0],
    );
    expect(r.excess).toBeCloseTo(40, 12);
    expect(r.sigma).toBeCloseTo(45, 12);
  });

  it('the_strategy_trades_exactly_to_the_optimum', () => {
    // 500 + 500 USD (6 decimals) in A and B, MM 200: the optimum 0.8/0.2 (first case) → buy 300 of A, sell 300 of B.
    const U = 1_000_000n;
    const d = new CollateralDiversifier({
      assets: ['A', 'B'],
      haircuts: [0, 0],
      covariance: COV,
      switchCost: [0, 0],
      horizonYears: 1 / 365,
      minTurnover: 0.01,
    });
    const r = d.choose({
      values: [500n * U, 500n * U],
      decimals: 6,
      exposure: [0, 0],
      maintenanceMargin: 200n * U,
      otherEquity: 0n,
    });
    // The optimiser stops within 1e-7 of 0.8: the trade is 300 USD to within 0.0001.
    expect(Number(r.trades[0]! - 300n * U)).toBeLessThanOrEqual(100);
    expect(r.trades[0]! + r.trades[1]!).toBe(0n);
    // Already at the optimum: no trade.
    const again = d.choose({
      values: [800n * U, 200n * U],
      decimals: 6,
      exposure: [0, 0],
      maintenanceMargin: 200n * U,
      otherEquity: 0n,
    });
    expect(again.trades).toEqual([0n, 0n]);
    expect(() =>
      d.choose({ values: [-1n, 5n], decimals: 6, exposure: [0, 0], maintenanceMargin: 0n, otherEquity: 0n }),
    ).toThrow(StrategyError);
  });

  it('trades_to_weights_sum_to_zero', () => {
    // 100 units at 1/3 each: ⌊33.33⌋ = 33, 33, and the remainder 1 to the largest weight (the first of the ties).
    expect(tradesToWeights([100n, 0n, 0n], [1 / 3, 1 / 3, 1 / 3])).toEqual([-66n, 33n, 33n]);
  });

  it('a_mix_pushed_beyond_a_cap_is_brought_back', () => {
    // B capped at 10 %: from 0.5/0.5 the best feasible mix puts B at its cap (the unconstrained optimum is 0.2).
    const r = optimizeMix({ ...base, maxWeights: [1, 0.1] });
    expect(r.weights[1]).toBeCloseTo(0.1, 9);
  });

  it('rejects_bad_input', () => {
    expect(() => optimizeMix({ ...base, currentWeights: [0.5, 0.4] })).toThrow(StrategyError);
    expect(() =>
      optimizeMix({
        ...base,
        covariance: [
          [0.25, 0.1],
          [0.12, 0.64],
        ],
      }),
    ).toThrow(/symmetric/);
    expect(() => optimizeMix({ ...base, haircuts: [1, 0] })).toThrow(/haircuts/);
    expect(() => optimizeMix({ ...base, maxWeights: [0.4, 0.4] })).toThrow(/caps/);
  });

  it('covariance_of_closes', () => {
    // Log returns ln2, 0, ln2 and 0, ln2, 0 (means 2ln2/3, ln2/3): sample covariance
    // Σ(a−ā)(b−b̄)/2 = (ln2)²·(1/3·−1/3 + −2/3·2/3 + 1/3·−1/3)/2 = −(ln2)²/3; ×365 per year.
    const c = covarianceFromCloses(
      [
        [1, 2, 2, 4],
        [1, 1, 2, 2],
      ],
      365,
    );
    expect(c[0]![1]).toBeCloseTo((-(Math.LN2 ** 2) / 3) * 365, 10);
    expect(c[0]![0]).toBeCloseTo((Math.LN2 ** 2 / 3) * 365, 10);
  });
});

describe('hedged collateral', () => {
  const px = (usd: bigint) => usd * 100_000_000n;
  const BTC = 1_000_000_000n;
  const ON = { asset: 'BTC', market: 'BTCUSDT' };

  it('linear_hedge_ratio', () => {
    // 2 BTC counted at 95%: the margin value moves 1.9 USD per USD → short 1.9 BTC.
    expect(
      hedgeTarget(
        { kind: 'linear' },
        { collateralQty9: 2n * BTC, haircutPpm: 50_000n, markPx8: px(60_000n), heldShort: 0n },
      ),
    ).toBe(1_900_000_000n);
  });

  it('inverse_hedge_ratio_and_neutral_value', () => {
    // 2 BTC at 60,000 = 120,000 USD; contracts of 100 USD → 1,200 contracts.
    const inv = { kind: 'inverse', faceUsd8: px(100n) } as const;
    const n = hedgeTarget(inv, {
      collateralQty9: 2n * BTC,
      haircutPpm: 0n,
      markPx8: px(60_000n),
      heldShort: 0n,
    });
    expect(n).toBe(1200n);
    // At 50,000 the short earns 1,200·100·(1/50,000 − 1/60,000) = 0.4 BTC: 2.4 BTC · 50,000 = 120,000 USD,
    // unchanged, and the target on the new balance is still 2.4·50,000/100 = 1,200 contracts.
    expect(
      hedgeTarget(inv, {
        collateralQty9: 2_400_000_000n,
        haircutPpm: 0n,
        markPx8: px(50_000n),
        heldShort: n,
      }),
    ).toBe(1200n);
  });

  it('band_rebalancing', () => {
    const h = new CollateralHedger({ kind: 'linear' }, 100_000n, ON); // 10%
    const o = { collateralQty9: 2n * BTC, haircutPpm: 0n, markPx8: px(60_000n) };
    // Target 2 BTC; 1.85 is 7.5% off → hold.
    expect(h.rebalance({ ...o, heldShort: 1_850_000_000n }).change).toBe(0n);
    // A deposit of 1 BTC: target 3, held 2 → 33% off → sell 1 BTC more.
    expect(h.rebalance({ ...o, collateralQty9: 3n * BTC, heldShort: 2n * BTC }).change).toBe(BTC);
    // Collateral withdrawn entirely: buy back the whole short.
    expect(h.rebalance({ ...o, collateralQty9: 0n, heldShort: 2n * BTC }).change).toBe(-2n * BTC);
    expect(() => new CollateralHedger({ kind: 'linear' }, -1n, ON)).toThrow(StrategyError);
  });

  it('carry', () => {
    // Short of 120,000 USD (6 decimals) for 24 h at +0.01% per 8 h: receives 3 × 12 = 36 USD; mmr 0.5% → 600 USD held.
    const U = 1_000_000n;
    expect(hedgeCarry(120_000n * U, 100n, 24n, 5_000n)).toEqual({
      fundingPaid: -36n * U,
      marginHeld: 600n * U,
    });
    // Negative funding (shorts pay): −0.03% per 8 h over 8 h on 120,000 → pays 36.
    expect(hedgeCarry(120_000n * U, -300n, 8n, 0n).fundingPaid).toBe(36n * U);
  });
});
