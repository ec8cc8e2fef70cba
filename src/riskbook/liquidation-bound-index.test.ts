/**
 * The liquidation bound index walks only the scopes a move can have pushed under water, and
 * follows trades made after it was built (the overflow list) and rebases. Equality with the
 * exact scan over random populations and crashes is in finders.prop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { type AccountSpec, populate, priceMove, riskVenue } from './riskbook.testkit.ts';

const FLAT = { markets: [1e6, 1e6, 1e6, 1e6], btc: 1e6, eth: 1e6, stethRate: 1e6 };

/** 40 accounts from 0.5x to 20x, cross and isolated, some with BTC collateral. */
function population(): AccountSpec[] {
  return Array.from({ length: 40 }, (_, i) => ({
    usdc: 1_000 + i * 37,
    btcMilli: i % 5 === 0 ? 10 : 0,
    stethCenti: 0,
    legs: [
      { market: i % 4, isolated: i % 3 === 0, long: i % 2 === 0, leverage10: 5 + ((i * 7) % 195) },
      ...(i % 4 === 1 ? [{ market: (i + 1) % 4, isolated: false, long: i % 3 === 1, leverage10: 30 }] : []),
    ],
  }));
}

describe('LiquidationBoundIndex', () => {
  it('a small move walks a few scopes, a crash more, and both answers are the exact scan', () => {
    const engine = riskVenue();
    populate(engine, population());
    const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
    const scopes = index.book.scopeCount;
    engine.executeOrThrow(priceMove(engine, { ...FLAT, markets: [997_000, 1e6, 1e6, 1e6] }, 100));
    expect(index.liquidatable(engine.state)).toEqual(exactLiquidatable(engine.state));
    const small = index.stats.examined;
    expect(small).toBeLessThan(scopes / 2);
    engine.executeOrThrow(
      priceMove(engine, { ...FLAT, markets: [700_000, 700_000, 1_300_000, 700_000] }, 200),
    );
    const crash = index.liquidatable(engine.state);
    expect(crash).toEqual(exactLiquidatable(engine.state));
    expect(crash.length).toBeGreaterThan(0);
    expect(index.stats.examined).toBeGreaterThan(small);
  });

  it('finds an account that opened after the index was built, and after a rebase', () => {
    const engine = riskVenue();
    populate(engine, population());
    const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
    const late = { account: 'late' };
    engine.executeOrThrow({ type: 'deposit', to: late, asset: 'USDC', amount: '1000' });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: late,
      seller: { account: 'maker' },
      size: '0.15', // 9,000 notional on 1,000: 9x, liquidatable after a ~6 % fall at 5 % MM
      price: '60000',
    });
    engine.executeOrThrow(priceMove(engine, { ...FLAT, markets: [930_000, 1e6, 1e6, 1e6] }, 100));
    const found = index.liquidatable(engine.state);
    expect(found).toEqual(exactLiquidatable(engine.state));
    expect(found.some((c) => c.ref.account === 'late')).toBe(true);
    index.rebase();
    expect(index.liquidatable(engine.state)).toEqual(found);
    expect(index.stats.examined).toBeLessThanOrEqual(found.length + 5);
  });
});
