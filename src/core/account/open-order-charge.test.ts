/**
 * The per-order margin charge (engine config `openOrderCharge`, Drift's
 * OPEN_ORDER_MARGIN_REQUIREMENT of $0.01): under the engine's own arithmetic it adds to the
 * orders' initial-margin reservation, one charge per resting order; under drift-v2 it adds to
 * both requirements (maintenance too, as Drift counts it).
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../engine/engine.ts';
import { subaccountKey } from '../model/state.ts';
import { crossView, evaluate } from './figures.ts';

const config = (extra: Record<string, unknown>) => ({
  settlementAsset: 'USDC',
  assets: [{ id: 'USDC', decimals: 6 }],
  markets: [
    {
      id: 'BTC-PERP',
      kind: 'perpetual',
      base: 'BTC',
      margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
    },
  ],
  ...extra,
});

function withTwoOrders(extra: Record<string, unknown>) {
  const e = Engine.create(config(extra));
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '100' } });
  e.executeOrThrow({ type: 'deposit', to: { account: 'a' }, asset: 'USDC', amount: '1000' });
  for (const [id, side] of [
    ['o1', 'buy'],
    ['o2', 'sell'],
  ] as const)
    e.executeOrThrow({
      type: 'place_order',
      orderId: id,
      subaccount: { account: 'a' },
      market: 'BTC-PERP',
      side,
      size: '1',
      price: '100',
    });
  const sub = e.state.subaccounts.get(subaccountKey({ account: 'a', sub: '0' }))!;
  return evaluate(e.state, crossView(sub));
}

describe('openOrderCharge', () => {
  it('engine arithmetic: one charge per resting order in the initial reservation, none in maintenance', () => {
    const without = withTwoOrders({});
    const withCharge = withTwoOrders({ openOrderCharge: '0.01' });
    expect(withCharge.openOrderInitialMarginQuote - without.openOrderInitialMarginQuote).toBe(20_000n);
    expect(withCharge.maintenanceMarginQuote).toBe(without.maintenanceMarginQuote);
  });

  it('drift-v2 arithmetic: the worst case over the orders plus the charges, in maintenance too', () => {
    const f = withTwoOrders({ marginArithmetic: 'drift-v2', openOrderCharge: '0.01' });
    // Worst case |0 + 1| = |0 − 1| BTC at $100: liability $100; 5% + 2 × $0.01.
    expect(f.maintenanceMarginQuote).toBe(5_000_000n + 20_000n);
    // Initial: 10% of $100 + 2 × $0.01, all of it from the orders.
    expect(f.openOrderInitialMarginQuote).toBe(10_000_000n + 20_000n);
    expect(f.initialMarginQuote).toBe(0n);
  });

  it('refuses a charge that is not an amount of the settlement asset', () => {
    expect(() => Engine.create(config({ openOrderCharge: 'abc' }))).toThrow(/openOrderCharge/);
  });

  it('drift-v2 arithmetic refuses an inverse market, which Drift does not list', () => {
    const inverse = {
      settlementAsset: 'BTC',
      assets: [{ id: 'BTC', decimals: 6 }],
      markets: [
        {
          id: 'BTCUSD',
          kind: 'perpetual',
          base: 'BTC',
          contractType: 'inverse',
          contractValue: '100',
          margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
        },
      ],
    };
    expect(() => Engine.create({ ...inverse, marginArithmetic: 'drift-v2' })).toThrow(/inverse/);
  });
});
