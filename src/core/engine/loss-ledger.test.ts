/**
 * Insurance fund view and socialized-loss ledger: the fold over the event stream names each
 * socialized loss (who, which scope and market, when, how much), and the funding-index route's
 * per-position haircuts are the charges the engine actually made (hand-derived in the comments).
 */
import { describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { Engine } from './engine.ts';
import type { Sequenced } from './events.ts';
import {
  foldLossLedger,
  insuranceFund,
  lossLedgerFrom,
  lossLedgerView,
  socializedLossLedger,
} from './loss-ledger.ts';

const U = 1_000_000n;

/** The liquidation tests' venue, with every event recorded from the start. */
function venue(liquidation: EngineConfigInput['liquidation'] = {}) {
  const e = Engine.create(venueConfig({ liquidation }));
  const events: Sequenced[] = [];
  e.onEvents((evs) => events.push(...evs));
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' } });
  e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '10000000' });
  for (const [who, amount] of [
    ['alice', '1000'],
    ['bob', '100000'],
    ['carol', '10000'],
    ['dave', '10000'],
    ['erin', '10000'],
  ] as const)
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
  const fill = (
    buyer: string,
    seller: string,
    size: string,
    price: string,
    taker: 'buyer' | 'seller' = 'buyer',
  ) =>
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(buyer),
      seller: ref(seller),
      size,
      price,
      taker,
    });
  // alice long 0.1 @ 60,000 (fee 3: balance 997); at 44,000 bob closes to carol (short 0.1),
  // dave shorts 0.2 to erin; at 45,000 the shorts lose, so nobody can be deleveraged.
  fill('alice', 'bob', '0.1', '60000');
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '44000' } });
  fill('bob', 'carol', '0.1', '44000', 'seller');
  fill('erin', 'dave', '0.2', '44000');
  e.executeOrThrow({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': '45000' } });
  return { e, events };
}
const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('USDC')!;

describe('socialized-loss ledger', () => {
  it('ledger_route: the deficit written off, with the scope, market and time', () => {
    const { e, events } = venue();
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    // alice's net value: 997 + 0.1 × (45,000 − 60,000) = −503 USDC, no fund, no profitable short.
    const l = socializedLossLedger(events);
    const v = lossLedgerView(l, e.state);
    expect(v.entries).toEqual([
      {
        seq: expect.any(Number),
        timeMs: 3,
        subaccount: 'alice/0',
        scope: 'cross',
        via: 'ledger',
        markets: ['BTC-PERP'],
        amount: '503',
      },
    ]);
    expect(l.ledgerTotal).toBe(-e.state.socializedLedger);
    expect(insuranceFund(e.state).socializedLossTotal).toBe('503');
  });

  it('funding_index_route: per-position haircuts are the charges the engine made', () => {
    const { e, events } = venue({ socializeVia: 'funding_index' });
    const before = { carol: usdc(e, 'carol'), dave: usdc(e, 'dave') };
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    // 503e6 units on the shorts carol 0.1 and dave 0.2, 1:2: carol 167,666,666 rem ⅔, dave
    // 335,333,333 rem ⅓; the unit left goes to the larger remainder: carol 167,666,667.
    const v = lossLedgerView(socializedLossLedger(events), e.state);
    expect(v.entries).toHaveLength(1);
    const x = v.entries[0]!;
    expect([x.via, x.side, x.markets, x.amount, x.subaccount, x.timeMs]).toEqual([
      'funding_index',
      'short',
      ['BTC-PERP'],
      '503',
      'alice/0',
      3,
    ]);
    expect(x.haircuts).toEqual([
      { subaccount: 'carol/0', amount: '167.666667' },
      { subaccount: 'dave/0', amount: '335.333333' },
    ]);
    expect(before.carol - usdc(e, 'carol')).toBe(167_666_667n);
    expect(before.dave - usdc(e, 'dave')).toBe(335_333_333n);
    expect(v.fundingIndexTotal).toBe('503');
    expect(insuranceFund(e.state).socializedLossTotal).toBe('0');
  });

  it('a_ledger_seeded_from_a_state_folds_the_events_after_it', () => {
    const { e } = venue({ socializeVia: 'funding_index' });
    const l = lossLedgerFrom(e.state);
    for (const ev of e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 }))
      foldLossLedger(l, ev);
    expect(l.entries[0]!.haircuts!.map((h) => h.amount)).toEqual([167_666_667n, 335_333_333n]);
  });

  it('insurance_flows_and_balance: cover out, seized collateral and liquidation fees in', () => {
    const { e, events } = venue();
    e.executeOrThrow({ type: 'fund_insurance', from: ref('backstop'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '0.01' });
    e.executeOrThrow({ type: 'prices', timeMs: 4, marks: {}, assets: { ETH: '3000' } });
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 4 });
    const v = lossLedgerView(socializedLossLedger(events), e.state);
    expect(v.entries).toEqual([]);
    expect(v.insurance.USDC!.inflows).toEqual({ insurance_funding: '10000' });
    // The ETH is seized first; the cash deficit is still 503 (ETH is not cash): the fund covers it.
    expect(v.insurance.USDC!.outflows).toEqual({ insurance_cover: '503' });
    expect(v.insurance.ETH!.inflows).toEqual({ collateral_seized: '0.01' });
    expect(insuranceFund(e.state).balances).toEqual({ USDC: '9497', ETH: '0.01' });
    expect(e.state.insurance.get('USDC')).toBe(9497n * U);
  });
});
