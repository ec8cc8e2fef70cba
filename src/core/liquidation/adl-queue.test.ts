/**
 * The ADL queue shown is the order the engine's ADL takes positions in: a bankrupt long with an
 * empty insurance fund is closed against the shorts, and the `adl_ranked` events name them in
 * the order of the view taken just before.
 */
import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../../test/support/fixtures.ts';
import type { Engine } from '../engine/engine.ts';
import type { Sequenced } from '../engine/events.ts';
import { adlQueueView, UnknownMarketError } from './adl-queue.ts';

/**
 * alice (10,000 USDC): long 1 BTC from three shorts (s1 0.3 @ 60,000 with 100,000 USDC, s2 0.3
 * @ 62,000 with 20,000, s3 0.4 @ 64,000 with 3,000); carol long 0.2 @ 60,000 from mm (100,000);
 * then BTC falls to 50,000: alice's net value 10,000 − 31.10 fee − 12,200 < 0, the fund is empty.
 */
function bankruptLong(): Engine {
  const e = newVenue();
  const dep = (who: string, amount: string) =>
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
  dep('alice', '10000');
  dep('carol', '2000');
  dep('s1', '100000');
  dep('s2', '20000');
  dep('s3', '3000');
  dep('mm', '100000');
  const fill = (buyer: string, seller: string, size: string, price: string) =>
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(buyer),
      seller: ref(seller),
      size,
      price,
    });
  fill('alice', 's1', '0.3', '60000');
  fill('alice', 's2', '0.3', '62000');
  fill('alice', 's3', '0.4', '64000');
  fill('carol', 'mm', '0.2', '60000');
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '50000' } });
  return e;
}

describe('ADL queue view', () => {
  it('ranks_shorts_in_the_order_the_engine_deleverages_them', () => {
    const e = bankruptLong();
    const [btc] = adlQueueView(e.state, 'BTC-PERP');
    expect(btc!.ranking).toBe('profit_x_leverage');
    const shown = btc!.short.filter((x) => x.rank !== null).map((x) => x.account);
    // By hand, profit / entry value × notional / equity (maker fee 0.02% paid by the shorts):
    //   s3: 5,600 / 25,600 × 20,000 / (3,000 − 5.12 + 5,600)      = 0.5090
    //   s2: 3,600 / 18,600 × 15,000 / (20,000 − 3.72 + 3,600)     = 0.1230
    //   s1: 3,000 / 18,000 × 15,000 / (100,000 − 3.60 + 3,000)    = 0.0243
    //   mm: 2,000 / 12,000 × 10,000 / (100,000 − 2.40 + 2,000)    = 0.0163
    // (the reverse of the order the positions were opened in). Four queued: 5, 4, 3, 2 lights.
    expect(shown).toEqual(['s3', 's2', 's1', 'mm']);
    expect(btc!.short.map((x) => x.indicator)).toEqual([5, 4, 3, 2]);
    expect(Number(btc!.short[0]!.score)).toBeCloseTo(0.509, 3);
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    const taken = evs
      .filter((x): x is Extract<Sequenced, { type: 'adl_ranked' }> => x.type === 'adl_ranked')
      .map((x) => x.counterparty);
    // alice's 1 BTC is absorbed by s3 (0.4), s2 (0.3) and s1 (0.3), in the order shown.
    expect(taken).toEqual(['s3/0', 's2/0', 's1/0']);
    expect(taken).toEqual(btc!.short.slice(0, taken.length).map((x) => `${x.account}/${x.sub}`));
  });

  it('longs_in_loss_are_listed_outside_the_queue', () => {
    const [btc] = adlQueueView(bankruptLong().state, 'BTC-PERP');
    expect(btc!.long.every((x) => x.rank === null && x.indicator === 0)).toBe(true);
    expect(btc!.long.map((x) => x.account).sort()).toEqual(['alice', 'carol']);
  });

  it('every_market_with_a_mark_and_a_typed_error_for_an_unknown_one', () => {
    const e = bankruptLong();
    expect(adlQueueView(e.state).map((q) => q.market)).toEqual(['BTC-PERP', 'ETH-PERP']);
    expect(() => adlQueueView(e.state, 'NOPE')).toThrow(UnknownMarketError);
  });
});
