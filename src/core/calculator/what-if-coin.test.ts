/**
 * What-if on a coin-settled book: a hypothetical sale of a Deribit-style BTC option (premium in
 * BTC) reports the engine's coin figures. Golden numbers: Deribit's standard option margin in
 * coin with the worked numbers of a Lean fork's DeribitOptionMarginModelTest.cs (S 10,000, K
 * 9,000 call, mark 0.025 BTC: IM 0.175 BTC, MM 0.1 BTC; test/vectors/options_standard_margin.json).
 * The service's POST /v1/accounts/:account/what-if passes its trades to this function.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.ts';
import type { MarketConfigInput } from '../model/config.ts';
import { WhatIfError, whatIf } from './what-if.ts';

const PERP: MarketConfigInput = {
  id: 'BTC-PERPETUAL',
  kind: 'perpetual',
  base: 'BTC',
  contractType: 'inverse',
  contractValue: '10',
  stepSize: '1',
  tickSize: '0.5',
  margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
};
const CALL: MarketConfigInput = {
  id: 'BTC-25DEC26-9000-C',
  kind: 'option',
  base: 'BTC',
  stepSize: '0.1',
  tickSize: '0.0005',
  expiryMs: Date.UTC(2026, 11, 25, 8),
  option: { underlying: 'BTC-PERPETUAL', right: 'call', strike: '9000', settlement: 'inverse' },
  margin: { kind: 'standardOption' },
};

function venue(): Engine {
  const e = Engine.create({
    settlementAsset: 'BTC',
    assets: [{ id: 'BTC', decimals: 8 }],
    markets: [PERP, CALL],
    liquidation: { dustNotional: '0.0001' },
  });
  e.executeOrThrow({ type: 'prices', timeMs: 1_000, marks: { 'BTC-PERPETUAL': '10000' } });
  e.executeOrThrow({ type: 'prices', timeMs: 2_000, marks: { [CALL.id]: '0.025' } });
  e.executeOrThrow({ type: 'deposit', to: { account: 'w' }, asset: 'BTC', amount: '1' });
  return e;
}

describe('what-if with coin-settled options', () => {
  it("selling one BTC call: Deribit's IM 0.175 BTC and MM 0.1 BTC, nothing executed", () => {
    const e = venue();
    const before = e.stateHash();
    const r = whatIf(
      e.state,
      { account: 'w', sub: '0' },
      { trades: [{ market: CALL.id, side: 'sell', size: '1' }] },
    );
    expect(r.after.cross.initialMargin).toBe('0.175');
    expect(r.after.cross.maintenanceMargin).toBe('0.1');
    expect(r.after.cross.positions[0]).toMatchObject({
      side: 'short',
      entryPrice: '0.025',
      markPrice: '0.025',
    });
    // a rally to 12,000 with the call marked at 0.26 BTC: MM = 0.075 + 0.26 = 0.335 BTC
    const moved = whatIf(
      e.state,
      { account: 'w', sub: '0' },
      {
        trades: [{ market: CALL.id, side: 'sell', size: '1' }],
        marks: { 'BTC-PERPETUAL': '12000', [CALL.id]: '0.26' },
      },
    );
    expect(moved.after.cross.maintenanceMargin).toBe('0.335');
    expect(moved.after.cross.equity).toBe('0.765'); // 1 − (0.26 − 0.025)
    expect(e.stateHash()).toBe(before);
  });

  it('a size off the option step is a typed error', () => {
    const e = venue();
    expect(() =>
      whatIf(
        e.state,
        { account: 'w', sub: '0' },
        { trades: [{ market: CALL.id, side: 'sell', size: '0.05' }] },
      ),
    ).toThrow(WhatIfError);
  });
});
