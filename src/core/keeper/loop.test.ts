/**
 * The keeper loop: rounds until nothing is liquidatable, the caps, and scopes in paused or
 * safe-mode markets set aside instead of spun on.
 */
import { describe, expect, it } from 'vitest';
import { longsAgainstWhale, venueConfig } from '../../../test/support/fixtures.ts';
import { Engine } from '../engine/engine.ts';
import { exactLiquidatable, exactScan } from './exact-scan.ts';
import { keeperTick } from './loop.ts';

/** Ten longs at 10x on 60,000 and a deep-pocketed short; the backstop takes what they lose. */
function book(): Engine {
  const e = Engine.create(venueConfig());
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
  longsAgainstWhale(e, 10, 2);
  return e;
}

describe('keeperTick', () => {
  it('liquidates_round_after_round_until_nothing_is_liquidatable', () => {
    const e = book();
    const r = keeperTick(
      e,
      { timeMs: 10, prices: [{ marks: { 'BTC-PERP': '54500' } }] },
      {
        finder: exactScan,
        maxRounds: 50,
      },
    );
    expect(r.priceCommands).toBe(1);
    const steps = Object.values(r.steps).reduce((a, b) => a + b, 0);
    expect(steps).toBeGreaterThanOrEqual(10);
    expect(r.capped).toBe(false);
    expect(exactLiquidatable(e.state)).toEqual([]);
  });

  it('stops_at_max_rounds_and_says_so', () => {
    const e = book();
    const r = keeperTick(
      e,
      { timeMs: 10, prices: [{ marks: { 'BTC-PERP': '54500' } }] },
      {
        finder: exactScan,
        maxRounds: 1,
        maxSteps: 3,
      },
    );
    expect(r.rounds).toBe(1);
    expect(Object.values(r.steps).reduce((a, b) => a + b, 0)).toBe(3);
    expect(r.capped).toBe(true);
    expect(exactLiquidatable(e.state).length).toBeGreaterThan(0);
  });

  it('sets_aside_scopes_in_a_paused_market_without_spinning', () => {
    const e = book();
    e.executeOrThrow({ type: 'pause_liquidations', market: 'BTC-PERP', paused: true });
    const r = keeperTick(
      e,
      { timeMs: 10, prices: [{ marks: { 'BTC-PERP': '54500' } }] },
      {
        finder: exactScan,
        maxRounds: 50,
      },
    );
    expect(r.rounds).toBe(0);
    expect(r.held).toBe(10);
    expect(r.rejected).toEqual({});
    expect(exactLiquidatable(e.state).length).toBe(10);
  });

  it('counts_a_refused_price_and_goes_on_with_the_previous_marks', () => {
    const e = book();
    const r = keeperTick(
      e,
      { timeMs: 10, prices: [{ marks: { 'BTC-PERP': '1' } }] },
      {
        finder: exactScan,
        maxRounds: 50,
      },
    );
    expect(r.priceRejected).toEqual({ PRICE_MOVE_TOO_LARGE: 1 });
    expect(r.rounds).toBe(0);
  });
});
