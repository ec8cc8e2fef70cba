/**
 * Diversification and hedged collateral against hand-derived cases: the two-asset optimum with
 * a known covariance (minimum variance, with and without a position), that a switching cost
 * larger than the gain keeps the current mix, the hedge ratio of a linear and an inverse
 * perpetual, the band, and the carry — directly and through the one strategy interface
 * (an account observation in, swaps and hedge actions out).
 */
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../../core/pricing/normal.ts';
import {
  CollateralDiversifier,
  covarianceFromCloses,
  mixRisk,
  optimizeMix,
  swapsOf,
  tradesToWeights,
} from './diversification.ts';
import { CollateralHedger, hedgeCarry, hedgeTarget } from './hedged-collateral.ts';
import {
  type CollateralHolding,
  type OtherPosition,
  type PerpObservation,
  type Strategy,
  StrategyError,
} from './strategy.ts';

const U6 = 1_000_000n; // 1 USD at 6 decimals
const Q = 1_000_000_000n; // 1 coin, qty9
const PX = 100_000_000n; // 1 USD, px8
/** A perpetuals account with collateral holdings; `long` (coins of A at 100) is the managed position. */
function account(
  holdings: CollateralHolding[],
  equity: bigint,
  mm: bigint,
  otherPositions: OtherPosition[] = [],
  long: { asset?: string; qty9: bigint; px8: bigint } = { qty9: 0n, px8: 100n * PX },
): PerpObservation {
  return {
    kind: 'perp',
    timeMs: 0,
    decimals: 6,
    equity,
    maintenanceMargin: mm,
    reserve: 0n,
    position: {
      side: 'long',
      sizeQty9: long.qty9,
      markPx8: long.px8,
      liquidationPx8: null,
      takerFeePpm: 0n,
      ...(long.asset === undefined ? {} : { asset: long.asset }),
    },
    collateral: { holdings, otherPositions },
  };
}
const LENDING = {
  kind: 'lending',
  timeMs: 0,
  decimals: 6,
  collateralValue: 1n,
  liquidationThresholdPpm: 800_000n,
  debt: 0n,
  reserve: 0n,
} as const;

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

  it('through_the_strategy_interface_swaps_to_the_two_asset_optimum', () => {
    // The first case as an account: 5 A at 100 and 10 B at 50 (500 + 500 USD), MM 200, equity 1,000.
    // Optimum w_A = 0.52/0.65 = 0.8 → 800/200: one swap of 300 USD of B into A (to within 1e-7 of W).
    const s: Strategy = new CollateralDiversifier({
      assets: ['A', 'B'],
      haircuts: [0, 0],
      covariance: COV,
      switchCost: [0, 0],
      horizonYears: 1 / 365,
      minTurnover: 0.01,
    });
    const held = (a: bigint, b: bigint): CollateralHolding[] => [
      { asset: 'A', qty9: a, markPx8: 100n * PX, haircutPpm: 0n },
      { asset: 'B', qty9: b, markPx8: 50n * PX, haircutPpm: 0n },
    ];
    const d = s.decide(account(held(5n * Q, 10n * Q), 1000n * U6, 200n * U6));
    expect(d.actions).toHaveLength(1);
    const a = d.actions[0]!;
    expect(a).toMatchObject({ kind: 'swap', fromAsset: 'B', toAsset: 'A' });
    if (a.kind !== 'swap') throw new Error('swap expected');
    expect(Number(a.amount - 300n * U6) ** 2).toBeLessThanOrEqual(100 ** 2);
    // At the optimum already (8 A, 4 B): nothing to do.
    expect(s.decide(account(held(8n * Q, 4n * Q), 1000n * U6, 200n * U6)).actions).toEqual([]);
    // The case with a long: 5 A (500 USD) long on A per 1,000 of collateral → w_A = 0.7, swap 200 of B into A.
    const withLong = s.decide(
      account(held(5n * Q, 10n * Q), 1000n * U6, 200n * U6, [], { asset: 'A', qty9: 5n * Q, px8: 100n * PX }),
    ).actions[0]!;
    expect(withLong).toMatchObject({ kind: 'swap', fromAsset: 'B', toAsset: 'A' });
    if (withLong.kind !== 'swap') throw new Error('swap expected');
    expect(Number(withLong.amount - 200n * U6) ** 2).toBeLessThanOrEqual(100 ** 2);
  });

  it('reads_values_exposure_and_the_equity_outside_the_mix_from_the_account', () => {
    const d = new CollateralDiversifier({
      assets: ['A', 'B'],
      haircuts: [0.1, 0],
      covariance: COV,
      switchCost: [0, 0],
      horizonYears: 1 / 365,
      minTurnover: 0.01,
    });
    // A: 5 at 100 = 500 counted at 90% = 450; B: 10 at 50 = 500 counted in full. Equity 1,000 → 50 outside
    // the mix. Exposure: long 5 A at 100 = +500; a short of 2 B at 50 = −100.
    const o = d.mixObservation(
      account(
        [
          { asset: 'A', qty9: 5n * Q, markPx8: 100n * PX, haircutPpm: 100_000n },
          { asset: 'B', qty9: 10n * Q, markPx8: 50n * PX, haircutPpm: 0n },
        ],
        1000n * U6,
        200n * U6,
        [{ market: 'BUSD', asset: 'B', side: 'short', sizeQty9: 2n * Q, markPx8: 50n * PX }],
        { asset: 'A', qty9: 5n * Q, px8: 100n * PX },
      ),
    );
    expect(o).toEqual({
      values: [500n * U6, 500n * U6],
      decimals: 6,
      exposure: [500, -100],
      maintenanceMargin: 200n * U6,
      otherEquity: 50n * U6,
    });
    expect(() => d.decide(LENDING)).toThrow(expect.objectContaining({ code: 'WRONG_ACCOUNT_KIND' }));
    const bare = { ...account([], 1n, 0n), collateral: undefined };
    expect(() => d.decide(bare)).toThrow(expect.objectContaining({ code: 'WRONG_ACCOUNT_KIND' }));
    expect(() => d.decide(account([{ asset: 'C', qty9: Q, markPx8: PX, haircutPpm: 0n }], U6, 0n))).toThrow(
      /C is not among A, B/,
    );
    // A position whose asset is not named cannot be counted.
    expect(() =>
      d.decide(
        account([{ asset: 'A', qty9: Q, markPx8: PX, haircutPpm: 0n }], U6, 0n, [], { qty9: Q, px8: PX }),
      ),
    ).toThrow(/position \(no asset\)/);
  });

  it('swaps_carry_out_the_trades_exactly', () => {
    // Sellers matched to buyers in order: A sells 33 to B and 33 to C; A and B buy from C and D.
    expect(swapsOf(['A', 'B', 'C'], [-66n, 33n, 33n])).toEqual([
      { kind: 'swap', fromAsset: 'A', toAsset: 'B', amount: 33n },
      { kind: 'swap', fromAsset: 'A', toAsset: 'C', amount: 33n },
    ]);
    expect(swapsOf(['A', 'B', 'C', 'D'], [10n, 5n, -4n, -11n])).toEqual([
      { kind: 'swap', fromAsset: 'C', toAsset: 'A', amount: 4n },
      { kind: 'swap', fromAsset: 'D', toAsset: 'A', amount: 6n },
      { kind: 'swap', fromAsset: 'D', toAsset: 'B', amount: 5n },
    ]);
    expect(swapsOf(['A', 'B'], [0n, 0n])).toEqual([]);
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

  it('through_the_strategy_interface_hedges_1_9_btc', () => {
    // 2 BTC counted at 95%, no hedge yet: short 1.9 BTC on the hedge market.
    const s: Strategy = new CollateralHedger({ kind: 'linear' }, 100_000n, ON);
    const btc = (qty9: bigint, haircutPpm = 50_000n): CollateralHolding => ({
      asset: 'BTC',
      qty9,
      markPx8: px(60_000n),
      haircutPpm,
    });
    const short = (sizeQty9: bigint, side: 'long' | 'short' = 'short'): OtherPosition => ({
      market: 'BTCUSDT',
      asset: 'BTC',
      side,
      sizeQty9,
      markPx8: px(60_000n),
    });
    const usd = 120_000n * U6;
    expect(s.decide(account([btc(2n * BTC)], usd, 0n)).actions).toEqual([
      { kind: 'hedge', market: 'BTCUSDT', deltaQty9: 1_900_000_000n },
    ]);
    // No haircut, target 2; 1.85 held is 7.5% off → hold; 1.75 (12.5% off) → sell 0.25 more.
    expect(s.decide(account([btc(2n * BTC, 0n)], usd, 0n, [short(1_850_000_000n)])).actions).toEqual([]);
    expect(s.decide(account([btc(2n * BTC, 0n)], usd, 0n, [short(1_750_000_000n)])).actions).toEqual([
      { kind: 'hedge', market: 'BTCUSDT', deltaQty9: 250_000_000n },
    ]);
    // The collateral gone (no holding): buy the whole short back.
    expect(s.decide(account([], usd, 0n, [short(2n * BTC)])).actions).toEqual([
      { kind: 'hedge', market: 'BTCUSDT', deltaQty9: -2n * BTC },
    ]);
    expect(() => s.decide(account([btc(BTC)], usd, 0n, [short(BTC, 'long')]))).toThrow(/holds a long/);
    expect(() => s.decide(LENDING)).toThrow(expect.objectContaining({ code: 'WRONG_ACCOUNT_KIND' }));
  });

  it('through_the_strategy_interface_an_inverse_hedge_counts_contracts', () => {
    // 2 BTC at 60,000 with contracts of 100 USD: 1,200 contracts, as qty9 of contracts.
    const s = new CollateralHedger({ kind: 'inverse', faceUsd8: px(100n) }, 100_000n, {
      asset: 'BTC',
      market: 'BTCUSD',
    });
    const coin: CollateralHolding = { asset: 'BTC', qty9: 2n * BTC, markPx8: px(60_000n), haircutPpm: 0n };
    expect(s.decide(account([coin], 0n, 0n)).actions).toEqual([
      { kind: 'hedge', market: 'BTCUSD', deltaQty9: 1200n * Q },
    ]);
    // After the fall to 50,000 the balance is 2.4 BTC and the target still 1,200: hold.
    const held: OtherPosition = {
      market: 'BTCUSD',
      asset: 'BTC',
      side: 'short',
      sizeQty9: 1200n * Q,
      markPx8: px(50_000n),
    };
    expect(
      s.decide(account([{ ...coin, qty9: 2_400_000_000n, markPx8: px(50_000n) }], 0n, 0n, [held])).actions,
    ).toEqual([]);
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
