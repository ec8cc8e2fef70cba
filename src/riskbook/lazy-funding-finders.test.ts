/**
 * With lazy funding (docs/funding-and-interest.md) a funding tick moves no balance, yet it changes
 * every holder's equity through the unsettled funding inside its PnL. Every CandidateFinder must
 * still agree with the exact scan after ticks that push leveraged accounts under maintenance, and
 * after the keeper's rounds that follow (fixed seed: the sample must see liquidations).
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Engine } from '../core/engine/engine.ts';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { type CandidateFinder, scopeId } from '../core/keeper/finder.ts';
import { keeperTick } from '../core/keeper/loop.ts';
import { subaccountKey } from '../core/model/state.ts';
import { LiquidationBoundIndex } from './liquidation-bound-index.ts';
import { LiquidationPriceIndex } from './liquidation-price-index.ts';
import { RiskBookFinder } from './risk-book-finder.ts';
import { type AccountSpec, MARKETS, populate, riskVenue } from './riskbook.testkit.ts';

const account: fc.Arbitrary<AccountSpec> = fc.record({
  usdc: fc.integer({ min: 100, max: 20_000 }),
  btcMilli: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })),
  stethCenti: fc.constant(0),
  legs: fc.array(
    fc.record({
      market: fc.integer({ min: 0, max: MARKETS.length - 1 }),
      isolated: fc.boolean(),
      long: fc.boolean(),
      leverage10: fc.integer({ min: 50, max: 250 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});
/** Premium per tick and market (capped at ±3 % by the markets' funding config). */
const ticks = fc.array(fc.array(fc.integer({ min: -30_000, max: 30_000 }), { minLength: 4, maxLength: 4 }), {
  minLength: 1,
  maxLength: 6,
});

const ids = (e: Engine, f: CandidateFinder) => ({
  finder: new Set(f.liquidatable(e.state).map((x) => scopeId(subaccountKey(x.ref), x.scope))),
  exact: new Set(exactLiquidatable(e.state).map((x) => scopeId(subaccountKey(x.ref), x.scope))),
});

const FINDERS: [string, (e: Engine) => CandidateFinder][] = [
  ['liquidation-price index', (e) => new LiquidationPriceIndex(e)],
  ['float risk book', (e) => new RiskBookFinder(e)],
  ['liquidation bound index', (e) => new LiquidationBoundIndex(e, { autoRebaseAbove: 1 })],
];

for (const [name, make] of FINDERS) {
  let due = 0;
  test.prop([fc.array(account, { minLength: 2, maxLength: 12 }), ticks], { numRuns: 15, seed: 15 })(
    `${name}: confirmed set = exact scan after lazy funding ticks and keeper rounds`,
    (accounts, premiums) => {
      const engine = riskVenue({ fundingSettlement: 'lazy' });
      populate(engine, accounts);
      const finder = make(engine);
      let t = 10;
      for (const tick of premiums) {
        t += 8 * 3600_000;
        for (const [i, ppm] of tick.entries())
          engine.execute({
            type: 'funding_tick',
            market: MARKETS[i]!,
            premiumIndex: (ppm / 1_000_000).toFixed(6),
            timeMs: t,
          });
        const a = ids(engine, finder);
        expect(a.finder).toEqual(a.exact);
        due += a.exact.size;
        keeperTick(engine, { timeMs: t }, { finder, maxRounds: 20 });
        const b = ids(engine, finder);
        expect(b.finder).toEqual(b.exact);
      }
    },
  );
  test(`${name}: the sample saw scopes made liquidatable by funding`, () => {
    expect(due).toBeGreaterThan(0);
  });
}
