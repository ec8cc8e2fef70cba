/**
 * What-if: exact (the figures after a hypothetical trade, deposit or price move are the figures
 * after the engine executes it) and pure (the engine state hash does not change).
 */
import { describe, expect, it } from 'vitest';
import { newVenue, ref, venueConfig } from '../../../test/support/fixtures.ts';
import { subaccountReport } from '../account/report.ts';
import { Engine } from '../engine/engine.ts';
import { WhatIfError, type WhatIfScenario, whatIf } from './what-if.ts';

function venue(): Engine {
  const e = newVenue();
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '20000' });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'BTC', amount: '0.05' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '1000000' });
  e.executeOrThrow({
    type: 'set_margin_mode',
    subaccount: ref('alice'),
    market: 'ETH-PERP',
    mode: 'isolated',
  });
  e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size: '0.1',
    price: '60000',
  });
  e.executeOrThrow({
    type: 'fill',
    market: 'ETH-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size: '2',
    price: '3000',
  });
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '61000.5', 'ETH-PERP': '2950.25' } });
  return e;
}

const alice = (e: Engine) => subaccountReport(e.state, e.state.subaccounts.get('alice/0')!);

/** Runs the what-if on one engine, the real commands on a twin, and compares alice's figures. */
function assertExact(scenario: WhatIfScenario, commands: (e: Engine) => void): ReturnType<typeof whatIf> {
  const hypo = venue();
  const hash = hypo.stateHash();
  const r = whatIf(hypo.state, ref('alice'), scenario);
  expect(hypo.stateHash()).toBe(hash);
  expect(r.before).toEqual(alice(hypo));
  const real = venue();
  commands(real);
  expect(r.after).toEqual(alice(real));
  return r;
}

const fill = (e: Engine, market: string, side: 'buy' | 'sell', size: string, price: string) =>
  e.executeOrThrow({
    type: 'fill',
    market,
    buyer: ref(side === 'buy' ? 'alice' : 'bob'),
    seller: ref(side === 'buy' ? 'bob' : 'alice'),
    size,
    price,
    taker: side === 'buy' ? 'buyer' : 'seller',
  });

describe('what-if equals executing it', () => {
  it('cross_trade_at_a_price_away_from_the_mark', () => {
    const r = assertExact(
      { trades: [{ market: 'BTC-PERP', side: 'buy', size: '0.05', price: '61500' }] },
      (e) => fill(e, 'BTC-PERP', 'buy', '0.05', '61500'),
    );
    // By hand: +0.05 at 61,500 → notional at the mark 0.15 × 61,000.5 = 9,150.075, IM 10% = 915.0075;
    // before 0.1 × 61,000.5 = 6,100.05 → IM 610.005: ΔIM = 305.0025. Fee 0.05% of 3,075 = 1.5375.
    expect(r.changes.cross.initialMargin).toBe('305.0025');
    expect(r.changes.cross.maintenanceMargin).toBe('152.50125');
  });

  it('cross_trade_at_the_mark_by_default_and_a_flip', () => {
    assertExact({ trades: [{ market: 'BTC-PERP', side: 'sell', size: '0.3' }] }, (e) =>
      fill(e, 'BTC-PERP', 'sell', '0.3', '61000.5'),
    );
  });

  it('maker_fee_when_asked', () => {
    assertExact(
      { trades: [{ market: 'BTC-PERP', side: 'buy', size: '0.01', price: '61000', liquidity: 'maker' }] },
      (e) =>
        e.executeOrThrow({
          type: 'fill',
          market: 'BTC-PERP',
          buyer: ref('alice'),
          seller: ref('bob'),
          size: '0.01',
          price: '61000',
          taker: 'seller',
        }),
    );
  });

  it('isolated_increase_draws_the_top_up_and_a_close_releases_the_margin', () => {
    assertExact({ trades: [{ market: 'ETH-PERP', side: 'buy', size: '1.5', price: '2950' }] }, (e) =>
      fill(e, 'ETH-PERP', 'buy', '1.5', '2950'),
    );
    assertExact({ trades: [{ market: 'ETH-PERP', side: 'sell', size: '0.5', price: '2950' }] }, (e) =>
      fill(e, 'ETH-PERP', 'sell', '0.5', '2950'),
    );
    const r = assertExact({ trades: [{ market: 'ETH-PERP', side: 'sell', size: '2', price: '2950' }] }, (e) =>
      fill(e, 'ETH-PERP', 'sell', '2', '2950'),
    );
    expect(r.after.isolated).toEqual([]);
    expect(r.changes.isolated['isolated:ETH-PERP']!.initialMargin.startsWith('-')).toBe(true);
    // and a flip of the isolated position
    assertExact({ trades: [{ market: 'ETH-PERP', side: 'sell', size: '3', price: '2950' }] }, (e) =>
      fill(e, 'ETH-PERP', 'sell', '3', '2950'),
    );
  });

  it('several_trades_in_order', () => {
    assertExact(
      {
        trades: [
          { market: 'BTC-PERP', side: 'buy', size: '0.02', price: '61000' },
          { market: 'ETH-PERP', side: 'buy', size: '1', price: '2950.25' },
          { market: 'BTC-PERP', side: 'sell', size: '0.05', price: '61001' },
        ],
      },
      (e) => {
        fill(e, 'BTC-PERP', 'buy', '0.02', '61000');
        fill(e, 'ETH-PERP', 'buy', '1', '2950.25');
        fill(e, 'BTC-PERP', 'sell', '0.05', '61001');
      },
    );
  });

  it('deposits_withdrawals_then_a_trade_then_marks_and_a_uniform_shock', () => {
    const r = assertExact(
      {
        deposits: [
          { asset: 'USDC', amount: '-500.5' },
          { asset: 'BTC', amount: '0.01' },
        ],
        trades: [{ market: 'BTC-PERP', side: 'buy', size: '0.01' }],
        marks: { 'ETH-PERP': '2800' },
        shockPct: '-10',
      },
      (e) => {
        e.executeOrThrow({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '500.5' });
        e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'BTC', amount: '0.01' });
        fill(e, 'BTC-PERP', 'buy', '0.01', '61000.5');
        // −10%: BTC-PERP 61,000.5 → 54,900.45; asset BTC 60,000 → 54,000; ETH 3,000 → 2,700; ETH-PERP as given.
        e.executeOrThrow({
          type: 'prices',
          timeMs: 3,
          marks: { 'BTC-PERP': '54900.45', 'ETH-PERP': '2800' },
          assets: { BTC: '54000', ETH: '2700' },
        });
      },
    );
    expect(r.after.cross.positions[0]!.markPrice).toBe('54900.45');
    expect(r.changes.cross.marginRatio).not.toBeNull();
  });
});

describe('what-if under portfolio margin', () => {
  it('a_hedge_lowers_the_scenario_requirement_exactly_as_the_fill_does', () => {
    const pm = () => {
      const e = Engine.create({ ...venueConfig(), portfolio: { model: 'crypto-pm' } });
      e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '100000', 'ETH-PERP': '3000' } });
      e.executeOrThrow({ type: 'deposit', to: ref('mm'), asset: 'USDC', amount: '10000000' });
      e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '100000' });
      e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('alice'), enabled: true });
      e.executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('mm'),
        size: '1',
        price: '100000',
      });
      return e;
    };
    const hypo = pm();
    const hash = hypo.stateHash();
    const r = whatIf(hypo.state, ref('alice'), {
      trades: [{ market: 'BTC-PERP', side: 'sell', size: '0.5' }],
    });
    expect(hypo.stateHash()).toBe(hash);
    const real = pm();
    real.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('mm'),
      seller: ref('alice'),
      size: '0.5',
      price: '100000',
      taker: 'seller',
    });
    expect(r.after).toEqual(alice(real));
    expect(r.after.cross.portfolio).toBeDefined();
    expect(r.changes.cross.initialMargin.startsWith('-')).toBe(true);
  });
});

describe('what-if refuses what the engine could not execute, changing nothing', () => {
  const bad: [WhatIfScenario, string][] = [
    [{ trades: [{ market: 'NOPE', side: 'buy', size: '1' }] }, 'UNKNOWN_MARKET'],
    [{ trades: [{ market: 'BTC-PERP', side: 'buy', size: '0.0001' }] }, 'INVALID_SIZE'],
    [{ trades: [{ market: 'BTC-PERP', side: 'buy', size: '-1' }] }, 'INVALID_SIZE'],
    [{ trades: [{ market: 'BTC-PERP', side: 'buy', size: '1', price: '60000.05' }] }, 'INVALID_PRICE'],
    [{ trades: [{ market: 'BTC-PERP', side: 'buy', size: '1', price: '70000' }] }, 'INVALID_PRICE'],
    [{ deposits: [{ asset: 'XYZ', amount: '1' }] }, 'UNKNOWN_ASSET'],
    [{ deposits: [{ asset: 'BTC', amount: '-0.06' }] }, 'INVALID_AMOUNT'],
    [{ deposits: [{ asset: 'USDC', amount: '1e3' }] }, 'INVALID_AMOUNT'],
    [{ shockPct: '-100' }, 'INVALID_PRICE'],
    [{ marks: { 'BTC-PERP': '0' } }, 'INVALID_PRICE'],
  ];
  for (const [scenario, code] of bad) {
    it(`${code}: ${JSON.stringify(scenario)}`, () => {
      const e = venue();
      const hash = e.stateHash();
      expect(() => whatIf(e.state, ref('alice'), scenario)).toThrow(WhatIfError);
      try {
        whatIf(e.state, ref('alice'), scenario);
      } catch (err) {
        expect((err as WhatIfError).code).toBe(code);
      }
      expect(e.stateHash()).toBe(hash);
    });
  }
  it('unknown_subaccount', () => {
    expect(() => whatIf(venue().state, ref('nobody'), {})).toThrow(/unknown subaccount/);
  });
});
