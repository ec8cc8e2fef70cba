/**
 * Standard options margin against the venues' published formulas and worked examples
 * (test/vectors/options_standard_margin.json: Deribit via a Lean-fork test and TSLab's copy of
 * Deribit's rules, Bybit's Example 1, Deribit's linear-perpetual examples).
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/options_standard_margin.json' with { type: 'json' };
import { account, EXPIRY_30D, snapshot } from './portfolio.testkit.ts';
import {
  AEVO_OPTIONS,
  BYBIT_OPTIONS,
  DERIBIT_BTC_LINEAR,
  DERIBIT_OPTIONS,
  DERIBIT_SOL_LINEAR,
  inCoin,
  outOfTheMoney,
  type StandardOptionRule,
  standardLinearMargin,
  standardMargin,
  standardOptionMargin,
} from './standard-options.ts';

const RULES: Record<string, StandardOptionRule> = {
  deribit: DERIBIT_OPTIONS,
  bybit: BYBIT_OPTIONS,
  aevo: AEVO_OPTIONS,
};
const LINEAR = { 'deribit-btc': DERIBIT_BTC_LINEAR, 'deribit-sol': DERIBIT_SOL_LINEAR };
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 8);

describe('standard options margin: published vectors', () => {
  it('every vector names a reference that carries a source', () => {
    for (const c of [...vectors.options, ...vectors.linear])
      expect(Object.keys(vectors.source.references)).toContain(c.ref);
  });

  for (const c of vectors.options) {
    it(c.name, () => {
      const i = c.inputs as typeof c.inputs & { markPriceCoin?: number; markPrice?: number };
      const markPrice = i.markPrice ?? i.markPriceCoin! * i.underlyingPrice;
      const m = standardOptionMargin(RULES[c.rule]!, {
        kind: i.kind as 'call' | 'put',
        strike: i.strike,
        size: i.size,
        underlyingPrice: i.underlyingPrice,
        markPrice,
      });
      const e = c.expected as {
        initial?: number;
        maintenance?: number;
        initialCoin?: number;
        maintenanceCoin?: number;
      };
      if (e.initial !== undefined) close(m.initial, e.initial);
      if (e.maintenance !== undefined) close(m.maintenance, e.maintenance);
      if (e.initialCoin !== undefined) close(inCoin(m.initial, i.underlyingPrice), e.initialCoin);
      if (e.maintenanceCoin !== undefined) close(inCoin(m.maintenance, i.underlyingPrice), e.maintenanceCoin);
    });
  }

  for (const c of vectors.linear) {
    it(c.name, () => {
      const m = standardLinearMargin(LINEAR[c.rule as keyof typeof LINEAR], c.inputs.size, c.inputs.price);
      const e = c.expected as { initial: number; maintenance?: number };
      close(m.initial, e.initial);
      if (e.maintenance !== undefined) close(m.maintenance, e.maintenance);
    });
  }
});

describe('standard options margin: the formulas', () => {
  it('otm_amount_call_and_put', () => {
    expect(outOfTheMoney('call', 110, 100)).toBe(10);
    expect(outOfTheMoney('call', 90, 100)).toBe(0);
    expect(outOfTheMoney('put', 90, 100)).toBe(10);
    expect(outOfTheMoney('put', 110, 100)).toBe(0);
  });

  it('deribit_short_call_far_otm_hits_the_10_percent_floor', () => {
    // OTM 10,000 at S 50,000: 0.15 − 0.2 < 0.1 → IM = 0.1 + mark (coin).
    const m = standardOptionMargin(DERIBIT_OPTIONS, {
      kind: 'call',
      strike: 60_000,
      size: -2,
      underlyingPrice: 50_000,
      markPrice: 500,
    });
    close(m.initial, 2 * (5_000 + 500));
    close(m.maintenance, 2 * (0.075 * 50_000 + 500));
  });

  it('deribit_deep_itm_put_maintenance_uses_the_mark_term', () => {
    // Coin mark 1.5 (K = 2.5·S): MM = max(0.075, 0.075 × 1.5) + 1.5 = 1.6125 coin; IM ≥ MM.
    const S = 40_000;
    const m = standardOptionMargin(DERIBIT_OPTIONS, {
      kind: 'put',
      strike: 2.5 * S,
      size: -1,
      underlyingPrice: S,
      markPrice: 1.5 * S,
    });
    close(inCoin(m.maintenance, S), 1.6125);
    close(inCoin(m.initial, S), Math.max(0.15 + 1.5, 1.6125));
  });

  it('aevo_short_put_initial_at_least_maintenance', () => {
    const m = standardOptionMargin(AEVO_OPTIONS, {
      kind: 'put',
      strike: 50_000,
      size: -1,
      underlyingPrice: 100_000,
      markPrice: 10,
    });
    // OTM 50,000: max(15,000 − 50,000, 10,000) + 10 = 10,010; MM = max(10,000, 1) + 10 = 10,010.
    close(m.initial, 10_010);
    close(m.maintenance, 10_010);
  });

  it('long_option_none_rule_needs_nothing', () => {
    const rule = { ...DERIBIT_OPTIONS, long: 'none' as const };
    const m = standardOptionMargin(rule, {
      kind: 'call',
      strike: 1,
      size: 3,
      underlyingPrice: 2,
      markPrice: 1,
    });
    expect(m).toEqual({ initial: 0, maintenance: 0 });
  });

  it('rejects_a_non_positive_underlying', () => {
    expect(() =>
      standardOptionMargin(DERIBIT_OPTIONS, {
        kind: 'call',
        strike: 1,
        size: -1,
        underlyingPrice: 0,
        markPrice: 0,
      }),
    ).toThrow(/underlying price/);
  });

  it('account_sum_prices_marks_with_black76', () => {
    const acct = account([
      { type: 'option', underlying: 'BTC', kind: 'call', strike: 100_000, expiryMs: EXPIRY_30D, size: -1 },
      { type: 'perpetual', underlying: 'BTC', size: 2, entryPrice: 100_000 },
    ]);
    const m = standardMargin(acct, snapshot(), { option: DERIBIT_OPTIONS, linear: DERIBIT_BTC_LINEAR });
    // ATM 30-day call at 60%: mark ≈ 0.4·σ√T·S ≈ 6,850; IM = 0.15·S + mark, perp IM = 2·S·(2% + 2·0.005%).
    expect(m.positions[0]!.initial).toBeGreaterThan(15_000 + 6_500);
    expect(m.positions[0]!.initial).toBeLessThan(15_000 + 7_200);
    close(m.positions[1]!.initial, 200_000 * 0.0201);
    close(m.initialMargin, m.positions[0]!.initial + m.positions[1]!.initial);
  });
});
