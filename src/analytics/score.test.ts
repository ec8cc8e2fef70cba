import { describe, expect, it } from 'vitest';
import { liquidationProbability } from './first-passage.ts';
import {
  type AccountRiskInput,
  DEFAULT_RISK_WEIGHTS,
  type PositionRiskInput,
  rankAccounts,
  rankPositions,
  scoreAccount,
  scorePosition,
} from './score.ts';

const DAY = 1 / 365;
const btcLong = (id: string, notional: number, liq: number | null, sigma = 0.6): PositionRiskInput => ({
  id,
  market: 'BTC-PERP',
  side: 'long',
  notional,
  markPrice: 60_000,
  liquidationPrice: liq,
  sigmaPerYear: sigma,
});
const ethShort = (id: string, notional: number, liq: number | null, sigma = 0.8): PositionRiskInput => ({
  id,
  market: 'ETH-PERP',
  side: 'short',
  notional,
  markPrice: 3_000,
  liquidationPrice: liq,
  sigmaPerYear: sigma,
});

describe('scorePosition', () => {
  it('probability_is_the_first_passage_value', () => {
    const s = scorePosition(btcLong('p', 60_000, 54_000), { horizonYears: 7 * DAY });
    expect(s.liquidationProbability).toBe(liquidationProbability('long', 60_000, 54_000, 0.6, 7 * DAY));
    expect(s.notionalAtRisk).toBeCloseTo(60_000 * s.liquidationProbability, 9);
  });
  it('no_liquidation_price_scores_zero', () => {
    expect(scorePosition(btcLong('p', 1000, null), { horizonYears: DAY }).liquidationProbability).toBe(0);
  });
  it('rejects_negative_notional', () => {
    expect(() => scorePosition(btcLong('p', -1, 50_000), { horizonYears: DAY })).toThrow(RangeError);
  });
});

describe('scoreAccount', () => {
  it('empty_account_scores_zero', () => {
    const a = scoreAccount({ account: 'a', equity: 1000, positions: [] }, { horizonYears: DAY });
    expect(a.score).toBe(0);
    expect(a.leverage).toBe(0);
    expect(a.concentration).toBe(0);
    expect(a.largestMarket).toBeNull();
  });

  it('single_position_components_by_hand', () => {
    const acc: AccountRiskInput = {
      account: 'alice',
      equity: 10_000,
      positions: [btcLong('a1', 60_000, 54_000)],
    };
    const a = scoreAccount(acc, { horizonYears: 7 * DAY });
    const p = liquidationProbability('long', 60_000, 54_000, 0.6, 7 * DAY);
    expect(a.leverage).toBe(6);
    expect(a.concentration).toBe(1);
    expect(a.largestMarket).toBe('BTC-PERP');
    expect(a.liquidationProbability).toBeCloseTo(p, 15);
    expect(a.components.leverage).toBeCloseTo(6 / 16, 15);
    const w = DEFAULT_RISK_WEIGHTS;
    expect(a.score).toBeCloseTo(w.probability * p + w.leverage * (6 / 16) + w.concentration * 1, 15);
  });

  it('two_markets_concentration_and_independence', () => {
    const acc: AccountRiskInput = {
      account: 'carol',
      equity: 20_000,
      positions: [
        btcLong('c1', 30_000, 54_000),
        ethShort('c2', 10_000, 3_300),
        btcLong('c3', 20_000, 50_000),
      ],
    };
    const a = scoreAccount(acc, { horizonYears: 7 * DAY });
    expect(a.grossNotional).toBe(60_000);
    expect(a.leverage).toBe(3);
    expect(a.concentration).toBeCloseTo(50_000 / 60_000, 15);
    const ps = a.positions.map((p) => p.liquidationProbability);
    expect(a.liquidationProbability).toBeCloseTo(1 - ps.reduce((s, p) => s * (1 - p), 1), 15);
    expect(a.maxPositionProbability).toBe(Math.max(...ps));
    expect(a.liquidationProbability).toBeGreaterThanOrEqual(a.maxPositionProbability);
    expect(a.liquidationProbability).toBeLessThanOrEqual(ps.reduce((s, p) => s + p, 0) + 1e-15);
    // positions ordered riskiest first
    for (let i = 1; i < ps.length; i++) expect(ps[i - 1]).toBeGreaterThanOrEqual(ps[i]!);
  });

  it('bankrupt_account_has_infinite_leverage', () => {
    const a = scoreAccount(
      { account: 'z', equity: -5, positions: [btcLong('z1', 1000, 61_000)] },
      { horizonYears: DAY },
    );
    expect(a.leverage).toBe(Number.POSITIVE_INFINITY);
    expect(a.components.leverage).toBe(1);
    expect(a.liquidationProbability).toBe(1);
    expect(a.score).toBeCloseTo(1, 15);
  });

  it('custom_weights_are_normalised', () => {
    const acc: AccountRiskInput = {
      account: 'a',
      equity: 10_000,
      positions: [btcLong('a1', 60_000, 54_000)],
    };
    const a = scoreAccount(acc, {
      horizonYears: DAY,
      weights: { probability: 0, leverage: 2, concentration: 0 },
    });
    expect(a.score).toBeCloseTo(6 / 16, 15);
    expect(() =>
      scoreAccount(acc, { horizonYears: DAY, weights: { probability: 0, leverage: 0, concentration: 0 } }),
    ).toThrow(RangeError);
  });
});

describe('rankAccounts', () => {
  const accounts: AccountRiskInput[] = [
    { account: 'bob', equity: 50_000, positions: [ethShort('b1', 30_000, 7_900)] },
    { account: 'alice', equity: 10_000, positions: [btcLong('a1', 60_000, 52_600)] },
    { account: 'dave', equity: 2_000, positions: [btcLong('d1', 40_000, 58_000)] },
    { account: 'erin', equity: 10_000, positions: [] },
  ];

  it('riskiest_first', () => {
    const r = rankAccounts(accounts, { horizonYears: DAY });
    expect(r.map((a) => a.account)).toEqual(['dave', 'alice', 'bob', 'erin']);
    expect(r.map((a) => a.rank)).toEqual([1, 2, 3, 4]);
  });

  it('order_does_not_depend_on_input_order', () => {
    const a = rankAccounts(accounts, { horizonYears: DAY }).map((x) => x.account);
    const b = rankAccounts([...accounts].reverse(), { horizonYears: DAY }).map((x) => x.account);
    expect(b).toEqual(a);
  });

  it('ties_are_broken_by_account_id', () => {
    const twins: AccountRiskInput[] = ['zed', 'amy'].map((account) => ({
      account,
      equity: 1000,
      positions: [btcLong(`${account}1`, 5000, 50_000)],
    }));
    expect(rankAccounts(twins, { horizonYears: DAY }).map((a) => a.account)).toEqual(['amy', 'zed']);
  });
});

describe('rankPositions', () => {
  it('by_probability_then_notional_at_risk', () => {
    const r = rankPositions(
      [btcLong('far', 1000, 30_000), btcLong('near', 1000, 59_000), btcLong('near-big', 5000, 59_000)],
      { horizonYears: DAY },
    );
    expect(r.map((p) => p.id)).toEqual(['near-big', 'near', 'far']);
    expect(r.map((p) => p.rank)).toEqual([1, 2, 3]);
  });
});
