/**
 * Regression (found by finders.prop.test.ts): a scope released after the rows were built (the
 * keeper closed one of two isolated positions) keeps its row; when that stale row turns into a
 * candidate it must not hide the subaccount's other candidates from the exact confirmation.
 * Here the short ETH-PERP isolated position becomes liquidatable after the BTC-PERP one was
 * liquidated and ETH-PERP rose ~54 %, while BTC-PERP kept falling (the released BTC scope's
 * stale row reads as a candidate).
 */
import { expect, test } from 'vitest';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { type LiquidationCandidate, scopeId } from '../core/keeper/finder.ts';
import { keeperTick } from '../core/keeper/loop.ts';
import { subaccountKey } from '../core/model/state.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { type AccountSpec, populate, priceMove, riskVenue } from './riskbook.testkit.ts';

const ids = (xs: readonly LiquidationCandidate[]) =>
  [...xs.map((x) => scopeId(subaccountKey(x.ref), x.scope))].sort();

test('a released scope with a stale row does not hide its sibling scope', () => {
  const accounts: AccountSpec[] = [
    {
      usdc: 240,
      btcMilli: 0,
      stethCenti: 0,
      legs: [
        { market: 0, isolated: true, long: true, leverage10: 5 },
        { market: 1, isolated: true, long: false, leverage10: 5 },
      ],
    },
    {
      usdc: 0,
      btcMilli: 0,
      stethCenti: 1,
      legs: [{ market: 0, isolated: false, long: false, leverage10: 5 }],
    },
  ];
  const fall = {
    markets: [700_000, 700_000, 770_507, 700_000],
    btc: 700_000,
    eth: 700_000,
    stethRate: 950_000,
  };
  const split = {
    markets: [670_000, 1_300_000, 670_000, 670_000],
    btc: 670_000,
    eth: 670_000,
    stethRate: 1_000_000,
  };
  const engine = riskVenue();
  populate(engine, accounts);
  const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
  let t = 10;
  let sawSibling = false;
  for (const mv of [fall, split, split, split]) {
    t += 1_000;
    expect(engine.execute(priceMove(engine, mv, t)).ok).toBe(true);
    const exact = ids(exactLiquidatable(engine.state));
    expect(ids(index.liquidatable(engine.state))).toEqual(exact);
    if (exact.includes(scopeId('t0/0', { kind: 'isolated', market: 'ETH-PERP' }))) sawSibling = true;
    keeperTick(engine, { timeMs: t }, { finder: index, maxRounds: 20 });
    expect(ids(index.liquidatable(engine.state))).toEqual(ids(exactLiquidatable(engine.state)));
  }
  expect(sawSibling).toBe(true);
});
