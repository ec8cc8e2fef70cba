/**
 * Resting orders in the engine (docs/orders.md). The venue (test/support/fixtures.ts):
 * BTC-PERP at mark 60,000, IM 10 %, MM 5 %, taker fee 0.05 %, maker fee 0.02 %; ETH-PERP at
 * 3,000, IM 5 %, no fees. Every expected figure is worked by hand from the rule: reservation =
 * IM(worse of position + bids, position − asks) − IM(position) (Drift's worst case) + open
 * loss (Binance) + fee to open at the taker rate (Bybit).
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { newVenue, ref, venueConfig } from '../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { subaccountReport } from '../account/report.ts';
import { decodeSnapshot, encodeSnapshot, stateHash } from './codec.ts';
import { Engine } from './engine.ts';
import { checkOrder } from './order-check.ts';

const U = 1_000_000n;
const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)?.balances.get('USDC') ?? 0n;
const cross = (e: Engine, who: string) => evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));

function funded(...who: [string, string][]): Engine {
  const e = newVenue();
  for (const [name, amount] of who)
    e.executeOrThrow({ type: 'deposit', to: ref(name), asset: 'USDC', amount });
  return e;
}

const buy = (orderId: string, size: string, price: string, extra: Record<string, unknown> = {}) => ({
  type: 'place_order' as const,
  orderId,
  subaccount: ref('alice'),
  market: 'BTC-PERP',
  side: 'buy' as const,
  size,
  price,
  ...extra,
});

const code = (r: { ok: boolean; rejection?: { code: string } }) => (r.ok ? 'ok' : r.rejection!.code);

describe('placing an order reserves its initial margin', () => {
  it('a bid below the mark reserves IM at the mark plus the fee to open', () => {
    const e = funded(['alice', '1000']);
    // IM(+0.1 at 60,000) = 600; no open loss (below the mark); fee 0.1 × 59,000 × 0.05 % = 2.95.
    const check = checkOrder(e.state, buy('o1', '0.1', '59000'));
    expect(check).toEqual({
      ok: true,
      orderInitialMargin: '602.95',
      before: { initialMargin: '0', openOrderInitialMargin: '0', freeCollateral: '1000' },
      after: { initialMargin: '0', openOrderInitialMargin: '602.95', freeCollateral: '397.05' },
    });
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(602_950_000n);
    expect(cross(e, 'alice').freeCollateralQuote).toBe(397_050_000n);
    expect(usdc(e, 'alice')).toBe(1000n * U); // an order holds no money
    assertConserved(e.state);
  });

  it('a bid above the mark also reserves its open loss', () => {
    const e = funded(['alice', '1000']);
    // IM 600 + open loss 0.1 × (60,100 − 60,000) = 10 + fee 0.1 × 60,100 × 0.05 % = 3.005
    const r = checkOrder(e.state, buy('o1', '0.1', '60100'));
    expect(r.ok && r.orderInitialMargin).toBe('613.005');
  });

  it('bids and asks do not add up: the worse side is reserved (ETH-PERP, no fees)', () => {
    const e = funded(['alice', '1000']);
    const eth = (orderId: string, side: 'buy' | 'sell', size: string, price: string) => ({
      ...buy(orderId, size, price),
      market: 'ETH-PERP',
      side,
    });
    e.executeOrThrow(eth('b', 'buy', '2', '2900'));
    // worst |0 + 2| = 2 → 2 × 3,000 × 5 % = 300
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(300n * U);
    e.executeOrThrow(eth('a', 'sell', '3', '3100'));
    // worst max(|0 + 2|, |0 − 3|) = 3 → 450, not 2 + 3 = 5 → 750
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(450n * U);
  });

  it('refuses an order the free collateral cannot carry and changes nothing', () => {
    const e = funded(['alice', '602.949999']);
    const before = e.stateHash();
    expect(code(checkOrder(e.state, buy('o1', '0.1', '59000')))).toBe('INSUFFICIENT_MARGIN');
    expect(code(e.execute(buy('o1', '0.1', '59000')))).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(before);
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '0.000001' });
    expect(e.execute(buy('o1', '0.1', '59000')).ok).toBe(true);
    expect(cross(e, 'alice').freeCollateralQuote).toBe(0n);
  });

  it('each rejection class is refused with its code and changes nothing', () => {
    const e = funded(['alice', '100000'], ['bob', '100000']);
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    const cases: [string, Record<string, unknown>][] = [
      ['DUPLICATE_ORDER_ID', buy('o1', '0.1', '59000')],
      ['UNKNOWN_SUBACCOUNT', { ...buy('o2', '0.1', '59000'), subaccount: ref('nobody') }],
      ['UNKNOWN_MARKET', { ...buy('o2', '0.1', '59000'), market: 'DOGE-PERP' }],
      ['INVALID_SIZE', buy('o2', '0.0001', '59000')],
      ['INVALID_PRICE', buy('o2', '0.1', '59000.05')],
      ['MALFORMED_COMMAND', buy('o2', '0', '59000')],
      ['MALFORMED_COMMAND', buy('o2', '0.1', '-1')],
      ['REDUCE_ONLY_REJECTED', buy('o2', '0.1', '59000', { reduceOnly: true })],
      ['UNKNOWN_ORDER', { type: 'cancel_order', orderId: 'nope' }],
      ['UNKNOWN_ORDER', { type: 'amend_order', orderId: 'nope', size: '0.2' }],
      ['MALFORMED_COMMAND', { type: 'amend_order', orderId: 'o1' }],
      ['STALE_TIME', { type: 'cancel_order', orderId: 'o1', timeMs: 0 }],
      [
        'ORDER_MISMATCH',
        {
          type: 'fill',
          market: 'BTC-PERP',
          buyer: ref('alice'),
          seller: ref('bob'),
          size: '0.2',
          price: '59000',
          buyOrderId: 'o1',
        },
      ],
      [
        'ORDER_MISMATCH',
        {
          type: 'fill',
          market: 'BTC-PERP',
          buyer: ref('alice'),
          seller: ref('bob'),
          size: '0.1',
          price: '59000.1',
          buyOrderId: 'o1',
        },
      ],
      [
        'ORDER_MISMATCH',
        {
          type: 'fill',
          market: 'BTC-PERP',
          buyer: ref('bob'),
          seller: ref('alice'),
          size: '0.1',
          price: '59000',
          sellOrderId: 'o1',
        },
      ],
      [
        'ORDER_MISMATCH',
        {
          type: 'fill',
          market: 'ETH-PERP',
          buyer: ref('alice'),
          seller: ref('bob'),
          size: '0.1',
          price: '3000',
          buyOrderId: 'o1',
        },
      ],
    ];
    for (const [expected, command] of cases) {
      const before = e.stateHash();
      expect(code(e.execute(command)), JSON.stringify(command)).toBe(expected);
      expect(e.stateHash()).toBe(before);
    }
  });
});

describe('amending and cancelling', () => {
  it('an amend that grows the reservation is checked; one that shrinks it always passes', () => {
    const e = funded(['alice', '1000']);
    e.executeOrThrow(buy('o1', '0.1', '59000')); // reserves 602.95, free 397.05
    // 0.2 at 59,000: IM 1,200 + fee 5.9 = 1,205.9 > 1,000
    const before = e.stateHash();
    expect(code(e.execute({ type: 'amend_order', orderId: 'o1', size: '0.2' }))).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(before);
    e.executeOrThrow({ type: 'amend_order', orderId: 'o1', size: '0.05', price: '58000' });
    // 0.05: IM 300 + fee 0.05 × 58,000 × 0.05 % = 1.45
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(301_450_000n);
    expect(subaccountReport(e.state, e.state.subaccounts.get('alice/0')!).openOrders).toEqual([
      { orderId: 'o1', market: 'BTC-PERP', side: 'buy', size: '0.05', price: '58000', reduceOnly: false },
    ]);
  });

  it('cancelling releases the reservation and frees the order id', () => {
    const e = funded(['alice', '1000']);
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    const r = e.executeOrThrow({ type: 'cancel_order', orderId: 'o1' });
    expect(r.map((x) => x.type)).toEqual(['order_cancelled']);
    expect(r[0]).toMatchObject({ orderId: 'o1', reason: 'user' });
    expect(cross(e, 'alice').freeCollateralQuote).toBe(1000n * U);
    expect(e.execute(buy('o1', '0.1', '59000')).ok).toBe(true);
  });

  it('the reservation limits withdrawals', () => {
    const e = funded(['alice', '1000']);
    e.executeOrThrow(buy('o1', '0.1', '59000')); // free 397.05
    expect(
      code(e.execute({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '397.050001' })),
    ).toBe('INSUFFICIENT_MARGIN');
    expect(e.execute({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '397.05' }).ok).toBe(
      true,
    );
  });
});

describe('fills against resting orders', () => {
  const fillO1 = (taker: 'buyer' | 'seller', size = '0.1', price = '60000') => ({
    type: 'fill' as const,
    market: 'BTC-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size,
    price,
    taker,
    buyOrderId: 'o1',
  });

  it('a fill that exactly consumes the reserved margin is accepted', () => {
    // 0.1 at 60,000 = the mark: IM 600 + fee 0.1 × 60,000 × 0.05 % = 3 → 603 reserved; free 0.
    const e = funded(['alice', '603'], ['bob', '100000']);
    e.executeOrThrow(buy('o1', '0.1', '60000'));
    expect(cross(e, 'alice').freeCollateralQuote).toBe(0n);
    const r = e.executeOrThrow(fillO1('buyer'));
    expect(r.map((x) => x.type)).toContain('order_filled');
    // balance 603 − fee 3 = 600 = IM 600: free 0, the order is gone
    expect(usdc(e, 'alice')).toBe(600n * U);
    expect(e.state.orders.size).toBe(0);
    expect(cross(e, 'alice').freeCollateralQuote).toBe(0n);
    assertConserved(e.state);
  });

  it('a fill that does not name the order leaves its reservation in place', () => {
    const e = funded(['alice', '603'], ['bob', '100000']);
    e.executeOrThrow(buy('o1', '0.1', '60000'));
    const before = e.stateHash();
    const { buyOrderId: _unnamed, ...plain } = fillO1('buyer');
    // position IM 600 and the order's 603 still reserved: short of margin
    expect(code(e.execute(plain))).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(before);
  });

  it('a partial fill shrinks the order; the rest stays reserved', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow(buy('o1', '0.1', '60000'));
    e.executeOrThrow(fillO1('seller', '0.04'));
    expect(e.state.orders.get('o1')!.size).toBe(60_000_000n); // 0.06
    // position +0.04, bids 0.06: worst +0.1 → IM 600 − IM(0.04) 240 = 360; fee 0.06 × 60,000 × 0.05 % = 1.8
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(361_800_000n);
  });

  it('the reservation never changes maintenance, health or who is liquidatable', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    const f0 = cross(e, 'alice');
    e.executeOrThrow(buy('o1', '0.005', '59000'));
    const f1 = cross(e, 'alice');
    expect(f1.openOrderInitialMarginQuote).toBeGreaterThan(0n);
    expect(f1.maintenanceMarginQuote).toBe(f0.maintenanceMarginQuote);
    expect(f1.healthQuote).toBe(f0.healthQuote);
    expect(f1.equityQuote).toBe(f0.equityQuote);
    expect(f1.freeCollateralQuote).toBe(f0.freeCollateralQuote - f1.openOrderInitialMarginQuote);
  });
});

describe('reduce-only orders', () => {
  it('reserve nothing, may only close, and are trimmed as the position shrinks', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    const sell = (orderId: string, size: string) => ({
      ...buy(orderId, size, '61000', { reduceOnly: true }),
      side: 'sell' as const,
    });
    expect(code(e.execute(buy('r0', '0.01', '59000', { reduceOnly: true })))).toBe('REDUCE_ONLY_REJECTED');
    expect(code(e.execute(sell('r0', '0.2')))).toBe('REDUCE_ONLY_REJECTED');
    e.executeOrThrow(sell('r1', '0.06'));
    e.executeOrThrow(sell('r2', '0.04'));
    expect(code(e.execute(sell('r3', '0.001')))).toBe('REDUCE_ONLY_REJECTED'); // 0.1 already covered
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(0n);
    // a plain fill takes the position to +0.05: r1 is trimmed to 0.05, r2 cancelled
    const r = e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.05',
      price: '60000',
    });
    const orderEvents = r.filter((x) => x.type === 'order_amended' || x.type === 'order_cancelled');
    expect(orderEvents).toMatchObject([
      { type: 'order_amended', orderId: 'r1', sizeQty9: 50_000_000n, reason: 'reduce_only' },
      { type: 'order_cancelled', orderId: 'r2', reason: 'reduce_only' },
    ]);
    // closing the position cancels what is left
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.05',
      price: '61000',
      sellOrderId: 'r1',
    });
    expect(e.state.orders.size).toBe(0);
  });
});

describe('liquidation and expiry cancel orders', () => {
  it("a liquidation step first cancels the liquidatee's orders", () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    e.executeOrThrow(buy('o1', '0.001', '50000'));
    e.executeOrThrow({ ...buy('b1', '0.001', '50000'), subaccount: ref('bob') });
    // balance 997; liquidatable when 997 + 0.1 × (m − 60,000) < 0.1 × m × 5 %, i.e. m < 52,663.16
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '52000' } });
    const r = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice') });
    expect(r[0]).toMatchObject({ type: 'order_cancelled', orderId: 'o1', reason: 'liquidation' });
    expect(r[1]!.type).toBe('liquidation_started');
    expect(e.state.orders.has('b1')).toBe(true); // only the liquidatee's
    assertConserved(e.state);
  });

  it("settling a dated future's expiry cancels its orders", () => {
    const e = Engine.create(
      venueConfig({
        markets: [
          {
            id: 'BTC-DEC',
            kind: 'future',
            base: 'BTC',
            expiryMs: 1000,
            margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
          },
        ],
      }),
    );
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-DEC': '60000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ ...buy('o1', '0.1', '59000'), market: 'BTC-DEC' });
    const r = e.executeOrThrow({ type: 'settle_expiry', market: 'BTC-DEC', price: '61000', timeMs: 1000 });
    expect(r[0]).toMatchObject({ type: 'order_cancelled', orderId: 'o1', reason: 'expiry' });
    expect(e.state.orders.size).toBe(0);
    expect(code(e.execute({ ...buy('o2', '0.1', '59000'), market: 'BTC-DEC' }))).toBe('MARKET_EXPIRED');
  });
});

describe('replay and snapshots', () => {
  it('journal replay and a snapshot round trip give the same state hash with orders open', () => {
    const journal = new FaultyJournal();
    const e = newVenue({ journal });
    for (const who of ['alice', 'bob'])
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '10000' });
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    e.executeOrThrow({ ...buy('o2', '0.2', '61000'), side: 'sell' });
    e.executeOrThrow({ type: 'amend_order', orderId: 'o1', price: '59500' });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.03',
      price: '59500',
      taker: 'seller',
      buyOrderId: 'o1',
    });
    expect(e.state.orders.size).toBe(2);
    expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
    expect(stateHash(decodeSnapshot(encodeSnapshot(e.state)))).toBe(e.stateHash());
    e.snapshot();
    e.executeOrThrow({ type: 'cancel_order', orderId: 'o2' });
    const reopened = Engine.open(journal);
    expect(reopened.stateHash()).toBe(e.stateHash());
    expect(cross(reopened, 'alice').openOrderInitialMarginQuote).toBe(
      cross(e, 'alice').openOrderInitialMarginQuote,
    );
  });

  it('a state whose orders are all gone hashes as if none was ever placed', () => {
    const a = funded(['alice', '1000']);
    const b = funded(['alice', '1000']);
    b.executeOrThrow(buy('o1', '0.1', '59000'));
    b.executeOrThrow({ type: 'cancel_order', orderId: 'o1' });
    // seq differs (two more events); compare everything else through a snapshot with equal seq
    const plainA = JSON.parse(encodeSnapshot(a.state));
    const plainB = JSON.parse(encodeSnapshot(b.state));
    plainB.state.seq = plainA.state.seq;
    expect(plainB).toEqual(plainA);
  });
});

describe('docs/orders.md', () => {
  it('the worked example', () => {
    const e = funded(['alice', '1000'], ['bob', '100000']);
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(602_950_000n);
    expect(cross(e, 'alice').freeCollateralQuote).toBe(397_050_000n);
    e.executeOrThrow({ ...buy('o2', '0.1', '61000'), side: 'sell' });
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(606n * U);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.04',
      price: '59000',
      buyOrderId: 'o1',
    });
    expect(cross(e, 'alice').openOrderInitialMarginQuote).toBe(364_820_000n);
    const report = subaccountReport(e.state, e.state.subaccounts.get('alice/0')!);
    expect(report.cross.openOrderInitialMargin).toBe('364.82');
    expect(report.openOrders.map((o) => [o.orderId, o.size])).toEqual([
      ['o1', '0.06'],
      ['o2', '0.1'],
    ]);
  });
});

describe('Engine.checkOrder', () => {
  it("adds the engine's time rule to the command's own decision and changes nothing", () => {
    const e = Engine.create(venueConfig(), { clock: { now: () => 10_000 } });
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1000' });
    const before = e.stateHash();
    // 10,000 + the default 5,000 ms skew is the latest time accepted
    expect(code(e.checkOrder(buy('o1', '0.1', '59000', { timeMs: 15_001 })))).toBe('FUTURE_TIME');
    expect(code(e.execute(buy('o1', '0.1', '59000', { timeMs: 15_001 })))).toBe('FUTURE_TIME');
    const ok = e.checkOrder(buy('o1', '0.1', '59000', { timeMs: 15_000 }));
    expect(ok.ok && ok.after.freeCollateral).toBe('397.05');
    expect(code(e.checkOrder('not an order'))).toBe('MALFORMED_COMMAND');
    expect(e.stateHash()).toBe(before);
  });
});

describe('isolated markets', () => {
  it("an isolated market's order is reserved in the cross scope and its fill tops the position up", () => {
    // 0.1 at 60,000: IM 600 + fee 3 = 603 reserved from the cross balance; free 0.
    const e = funded(['alice', '603'], ['bob', '100000']);
    e.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    e.executeOrThrow(buy('o1', '0.1', '60000'));
    expect(cross(e, 'alice').freeCollateralQuote).toBe(0n);
    expect(code(e.execute({ type: 'withdraw', from: ref('alice'), asset: 'USDC', amount: '0.000001' }))).toBe(
      'INSUFFICIENT_MARGIN',
    );
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
      buyOrderId: 'o1',
    });
    // the fee (3) and the isolated top-up (600) came out of the 603
    expect(usdc(e, 'alice')).toBe(0n);
    expect(e.state.subaccounts.get('alice/0')!.positions.get('BTC-PERP')!.isolatedMargin).toBe(600n * U);
    assertConserved(e.state);
  });
});

describe('worst-case size', () => {
  it("refuses orders that, all filled, would pass the market's maximum position size", () => {
    const base = venueConfig();
    const markets = base.markets!.map((m) => (m.id === 'BTC-PERP' ? { ...m, maxPositionSize: '0.15' } : m));
    const e = newVenue({ config: { markets } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow(buy('o1', '0.1', '59000'));
    const before = e.stateHash();
    // bids 0.1 + 0.06 = 0.16 > 0.15
    expect(code(e.execute(buy('o2', '0.06', '59000')))).toBe('POSITION_TOO_LARGE');
    expect(code(e.execute({ type: 'amend_order', orderId: 'o1', size: '0.151' }))).toBe('POSITION_TOO_LARGE');
    expect(e.stateHash()).toBe(before);
    // the other side is its own worst case: asks of 0.15 are fine
    expect(e.execute({ ...buy('o3', '0.15', '61000'), side: 'sell' }).ok).toBe(true);
  });
});
