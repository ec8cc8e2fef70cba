/**
 * A venue's order filters (market config `tickSize`, `stepSize`, `minSize`, `priceBand`,
 * `status`): each bad order is refused with its code and changes nothing (the state hash is the
 * same before and after). The band is Binance's PERCENT_PRICE as its futures API documents it:
 * "BUY: price <= markPrice * multiplierUp; SELL: price >= markPrice * multiplierDown"; the
 * `binance-usdm` preset carries BTCUSDT's published filters (exchangeInfo: tickSize 0.10,
 * stepSize = minQty 0.001, multiplierUp 1.0500, multiplierDown 0.9500).
 */
import { describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../../test/support/fixtures.ts';
import { binanceUsdmConfig } from '../presets/binance-usdm.ts';
import { Engine } from './engine.ts';
import { checkOrder } from './order-check.ts';

type Cmd = Record<string, unknown>;

/** The fixture venue with BTC-PERP (mark 60,000, tick 0.1, step 0.001) given a minimum 0.01 and a ±5 % band. */
function venue(extra: Record<string, unknown> = {}): Engine {
  const base = venueConfig();
  const markets = base.markets!.map((m) =>
    m.id === 'BTC-PERP' ? { ...m, minSize: '0.01', priceBand: { up: '0.05', down: '0.05' }, ...extra } : m,
  );
  const e = Engine.create({ ...base, markets });
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' } });
  for (const who of ['alice', 'bob'])
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '1000000' });
  return e;
}

const order = (orderId: string, side: 'buy' | 'sell', size: string, price: string, extra: Cmd = {}) => ({
  type: 'place_order',
  orderId,
  subaccount: ref('alice'),
  market: 'BTC-PERP',
  side,
  size,
  price,
  ...extra,
});

/** Refused with `code`, by the command and by the read-only check alike, and nothing changed. */
function refused(e: Engine, command: Cmd, code: string): void {
  const before = e.stateHash();
  if (command.type === 'place_order') {
    const check = checkOrder(e.state, command as never);
    expect(check.ok ? 'ok' : check.rejection.code, JSON.stringify(command)).toBe(code);
  }
  const r = e.execute(command);
  expect(r.ok ? 'ok' : r.rejection.code, JSON.stringify(command)).toBe(code);
  expect(e.stateHash()).toBe(before);
}

const accepted = (e: Engine, command: Cmd) => expect(e.execute(command)).toMatchObject({ ok: true });

describe('order filters: each bad order is refused with a typed code and changes nothing', () => {
  it('price off the tick, size off the step, size below the minimum', () => {
    const e = venue();
    refused(e, order('o', 'buy', '0.01', '59000.05'), 'INVALID_PRICE');
    refused(e, order('o', 'buy', '0.0105', '59000'), 'INVALID_SIZE');
    refused(e, order('o', 'buy', '0.009', '59000'), 'INVALID_SIZE');
    accepted(e, order('o', 'buy', '0.01', '59000'));
  });

  it('the band: a buy above mark × 1.05 or a sell below mark × 0.95; the boundary itself passes', () => {
    const e = venue();
    // mark 60,000: top 63,000, bottom 57,000 (exact bounds, no rounding).
    refused(e, order('b', 'buy', '0.01', '63000.1'), 'PRICE_OUTSIDE_BAND');
    refused(e, order('s', 'sell', '0.01', '56999.9'), 'PRICE_OUTSIDE_BAND');
    accepted(e, order('b', 'buy', '0.01', '63000'));
    accepted(e, order('s', 'sell', '0.01', '57000'));
    // One-sided, as PERCENT_PRICE: a passive buy far below or sell far above the mark is fine.
    accepted(e, order('b2', 'buy', '0.01', '30000'));
    accepted(e, order('s2', 'sell', '0.01', '90000'));
    // The band follows the mark.
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '62000' } });
    accepted(e, order('b3', 'buy', '0.01', '65100'));
    refused(e, order('b4', 'buy', '0.01', '65100.1'), 'PRICE_OUTSIDE_BAND');
  });

  it('amends: a new limit meets the band, the new size the step and the minimum', () => {
    const e = venue();
    accepted(e, order('o', 'buy', '0.02', '59000'));
    refused(e, { type: 'amend_order', orderId: 'o', price: '63000.1' }, 'PRICE_OUTSIDE_BAND');
    refused(e, { type: 'amend_order', orderId: 'o', price: '59000.05' }, 'INVALID_PRICE');
    refused(e, { type: 'amend_order', orderId: 'o', size: '0.005' }, 'INVALID_SIZE');
    refused(e, { type: 'amend_order', orderId: 'o', size: '0.0205' }, 'INVALID_SIZE');
    accepted(e, { type: 'amend_order', orderId: 'o', price: '63000' });
    // The mark falls: the resting limit is now above the band's top, and a size-only amend keeps it.
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '58000' } });
    accepted(e, { type: 'amend_order', orderId: 'o', size: '0.01' });
    expect(e.state.orders.get('o')).toMatchObject({ size: 10_000_000n, pricePx8: 63_000n * 10n ** 8n });
  });

  it('reduce-only orders that would increase the position', () => {
    const e = venue();
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.05',
      price: '60000',
    });
    refused(e, order('r', 'buy', '0.01', '59000', { reduceOnly: true }), 'REDUCE_ONLY_REJECTED');
    refused(e, order('r', 'sell', '0.06', '61000', { reduceOnly: true }), 'REDUCE_ONLY_REJECTED');
    accepted(e, order('r', 'sell', '0.03', '61000', { reduceOnly: true }));
    refused(e, order('r2', 'sell', '0.03', '61000', { reduceOnly: true }), 'REDUCE_ONLY_REJECTED');
    refused(e, { type: 'amend_order', orderId: 'r', size: '0.06' }, 'REDUCE_ONLY_REJECTED');
  });

  it('a paused market refuses orders, amends and fills; cancels go on; trading resumes', () => {
    const e = venue();
    accepted(e, order('o', 'buy', '0.01', '59000'));
    const cfg = e.state.markets.get('BTC-PERP')!.config;
    const setMarket = (status: 'paused' | 'trading') => ({
      type: 'set_market',
      config: {
        id: 'BTC-PERP',
        kind: 'perpetual',
        base: 'BTC',
        stepSize: '0.001',
        tickSize: '0.1',
        minSize: '0.01',
        priceBand: { up: '0.05', down: '0.05' },
        margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
        takerFee: '0.0005',
        makerFee: '0.0002',
        status,
      },
    });
    accepted(e, setMarket('paused'));
    expect(e.state.markets.get('BTC-PERP')!.config).toEqual({ ...cfg, status: 'paused' });
    refused(e, order('o2', 'buy', '0.01', '59000'), 'MARKET_PAUSED');
    refused(e, order('o2', 'sell', '0.01', '61000', { reduceOnly: true }), 'MARKET_PAUSED');
    refused(e, { type: 'amend_order', orderId: 'o', price: '59500' }, 'MARKET_PAUSED');
    refused(
      e,
      {
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('alice'),
        seller: ref('bob'),
        size: '0.01',
        price: '60000',
      },
      'MARKET_PAUSED',
    );
    // The other market trades on.
    accepted(e, order('eth', 'buy', '1', '2900', { market: 'ETH-PERP' }));
    accepted(e, { type: 'cancel_order', orderId: 'o' });
    accepted(e, setMarket('trading'));
    accepted(e, order('o3', 'buy', '0.01', '59000'));
  });

  it('fills are not held to the minimum (a partial fill may take less), only to the step', () => {
    const e = venue();
    accepted(e, order('o', 'buy', '0.01', '60000'));
    accepted(e, {
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.004',
      price: '60000',
      buyOrderId: 'o',
    });
    expect(e.state.orders.get('o')!.size).toBe(6_000_000n);
  });
});

describe("binance-usdm carries BTCUSDT's published filters", () => {
  it('tick 0.10, step = minQty 0.001, PERCENT_PRICE 1.05 / 0.95 on the mark', () => {
    const e = Engine.create(binanceUsdmConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { BTCUSDT: '70000', ETHUSDT: '3500' } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDT', amount: '100000' });
    const btc = (orderId: string, side: 'buy' | 'sell', size: string, price: string) => ({
      ...order(orderId, side, size, price),
      market: 'BTCUSDT',
    });
    refused(e, btc('a', 'buy', '0.001', '69000.05'), 'INVALID_PRICE');
    refused(e, btc('a', 'buy', '0.0015', '69000'), 'INVALID_SIZE');
    refused(e, btc('a', 'buy', '0.0005', '69000'), 'INVALID_SIZE');
    refused(e, btc('a', 'buy', '0.001', '73500.1'), 'PRICE_OUTSIDE_BAND'); // 70,000 × 1.05 = 73,500
    refused(e, btc('a', 'sell', '0.001', '66499.9'), 'PRICE_OUTSIDE_BAND'); // 70,000 × 0.95 = 66,500
    accepted(e, btc('a', 'buy', '0.001', '73500'));
    accepted(e, btc('b', 'sell', '0.001', '66500'));
  });
});
