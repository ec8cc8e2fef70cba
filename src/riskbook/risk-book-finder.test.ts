/**
 * The float risk book follows marks that come from a market's oracle (`oracle` commands emit
 * `oracle_stepped`, not `prices_updated`): as a finder it still agrees with the exact scan.
 */
import { describe, expect, it } from 'vitest';
import { longsAgainstWhale, quotes, threeSourceOracle, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { exactLiquidatable } from '../core/keeper/exact-scan.ts';
import { keeperTick } from '../core/keeper/loop.ts';
import { LiquidationPriceIndex } from './liquidation-price-index.ts';
import { RiskBookFinder } from './risk-book-finder.ts';

const oracleConfig = threeSourceOracle({
  maxAgeMs: 120_000,
  maxMovePerInterval: '0.5',
  recovery: { minHealthyMs: 5_000, sourceProbationMs: 0 },
});

function openBook(): Engine {
  const e = Engine.create(venueConfig({ oracles: [oracleConfig] }));
  e.executeOrThrow({ type: 'oracle', market: 'BTC-PERP', timeMs: 1_000, inputs: quotes(1_000, '60000') });
  e.executeOrThrow({ type: 'oracle', market: 'BTC-PERP', timeMs: 7_000, inputs: quotes(7_000, '60000') });
  longsAgainstWhale(e, 5, 8_000);
  return e;
}

describe('finders with oracle-driven marks', () => {
  it('the_risk_book_and_the_index_see_an_oracle_mark_move', () => {
    const e = openBook();
    const book = new RiskBookFinder(e);
    const index = new LiquidationPriceIndex(e);
    expect(book.liquidatable(e.state)).toEqual([]);
    const tick = keeperTick(
      e,
      { timeMs: 9_000, observations: [{ market: 'BTC-PERP', inputs: quotes(9_000, '54500') }] },
      { finder: book, maxRounds: 0 },
    );
    expect(tick.priceRejected).toEqual({});
    expect(e.state.markets.get('BTC-PERP')!.markPx8).toBe(54_500n * 10n ** 8n);
    const exact = exactLiquidatable(e.state);
    expect(exact.length).toBe(5);
    expect(book.liquidatable(e.state)).toEqual(exact);
    expect(new Set(index.liquidatable(e.state).map((c) => c.ref.account))).toEqual(
      new Set(exact.map((c) => c.ref.account)),
    );
  });
});

describe('the keeper in oracle safe mode', () => {
  it('sets_liquidatable_scopes_aside_while_the_index_is_unreliable_and_liquidates_them_after', () => {
    const e = openBook();
    const finder = new RiskBookFinder(e);
    const crash = { market: 'BTC-PERP', inputs: quotes(9_000, '54500') };
    // The crash price arrives, but the keeper has no rounds this tick (cap 0).
    keeperTick(e, { timeMs: 9_000, observations: [crash] }, { finder, maxRounds: 0 });
    expect(exactLiquidatable(e.state).length).toBe(5);
    // Then the sources disagree (54,500 / 60,000 / 66,000, 2 % allowed): one usable source of
    // the two required, the index is unreliable and the market enters safe mode.
    const split = [
      { source: 'a', price: '54500', timestampMs: 10_000 },
      { source: 'b', price: '60000', timestampMs: 10_000 },
      { source: 'c', price: '66000', timestampMs: 10_000 },
    ];
    const held = keeperTick(
      e,
      { timeMs: 10_000, observations: [{ market: 'BTC-PERP', inputs: split }] },
      { finder, maxRounds: 50 },
    );
    expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(true);
    expect(held.held).toBe(5);
    expect(held.rounds).toBe(0);
    expect(held.rejected).toEqual({});
    // Agreement again: safe mode ends after minHealthyMs (5 s) and the keeper liquidates.
    keeperTick(
      e,
      { timeMs: 11_000, observations: [{ market: 'BTC-PERP', inputs: quotes(11_000, '54500') }] },
      { finder, maxRounds: 0 },
    );
    const unconfirmed = keeperTick(
      e,
      { timeMs: 17_000, observations: [{ market: 'BTC-PERP', inputs: quotes(17_000, '54500') }] },
      { finder, maxRounds: 50 },
    );
    expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(false);
    // Out of safe mode, but the move to 54,500 is younger than the confirmation window (30 s by
    // default with several sources): the keeper sets the scopes aside instead of being refused.
    expect(unconfirmed.held).toBe(5);
    expect(unconfirmed.rejected).toEqual({});
    const after = keeperTick(
      e,
      { timeMs: 41_000, observations: [{ market: 'BTC-PERP', inputs: quotes(41_000, '54500') }] },
      { finder, maxRounds: 50 },
    );
    expect(after.held).toBe(0);
    expect(Object.values(after.steps).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5);
  });
});
