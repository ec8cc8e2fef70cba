/**
 * Orders and risk views over HTTP: the read-only check answers what placing reserves and changes
 * nothing; a trader manages only its own orders; fills execute against resting orders; what-if and
 * the margin breakdown follow Binance's published USDⓈ-M BTCUSDT brackets.
 */
import { describe, expect, it } from 'vitest';
import { harness, seeded } from './server.testkit.ts';

const order = {
  orderId: 'a-1',
  account: 'alice',
  symbol: 'BTCUSDT',
  side: 'buy',
  amount: '0.1',
  price: '59000',
};

describe('orders', () => {
  it('check is read-only and predicts the reservation that placing makes', async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    const check = await h.call('alice', 'POST', '/v1/orders/check', order);
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(true);
    expect(Number(check.body.orderInitialMargin)).toBeGreaterThan(0);
    expect(h.fingerprint()).toEqual(before);

    const placed = await h.call('alice', 'POST', '/v1/orders', order);
    expect(placed.status).toBe(200);
    expect(placed.body.events.map((e: { type: string }) => e.type)).toContain('order_placed');
    const listed = await h.call('alice', 'GET', '/v1/orders?account=alice');
    expect(listed.body.orders).toEqual([
      {
        orderId: 'a-1',
        account: 'alice',
        sub: '0',
        symbol: 'BTCUSDT',
        side: 'buy',
        amount: '0.1',
        price: '59000',
        reduceOnly: false,
      },
    ]);
    // the same order again: the id is taken
    const dup = await h.call('alice', 'POST', '/v1/orders/check', order);
    expect(dup.body).toMatchObject({ ok: false, rejection: { code: 'DUPLICATE_ORDER_ID' } });
    const again = await h.call('alice', 'POST', '/v1/orders', order);
    expect([again.status, again.body.code]).toEqual([409, 'DUPLICATE_ORDER_ID']);
  });

  it('an order beyond the free collateral is refused 422 INSUFFICIENT_MARGIN by check and place alike', async () => {
    const h = harness();
    await seeded(h);
    const big = { ...order, orderId: 'big', amount: '100' };
    const check = await h.call('alice', 'POST', '/v1/orders/check', big);
    expect(check.body).toMatchObject({ ok: false, rejection: { code: 'INSUFFICIENT_MARGIN' } });
    const before = h.fingerprint();
    const placed = await h.call('alice', 'POST', '/v1/orders', big);
    expect([placed.status, placed.body.code]).toEqual([422, 'INSUFFICIENT_MARGIN']);
    expect(h.fingerprint()).toEqual(before);
  });

  it("a trader cannot place, amend, cancel or see another account's orders", async () => {
    const h = harness();
    await seeded(h);
    expect((await h.call('alice', 'POST', '/v1/orders', order)).status).toBe(200);
    const before = h.fingerprint();
    expect((await h.call('bob', 'POST', '/v1/orders', { ...order, orderId: 'b-1' })).status).toBe(403);
    expect((await h.call('bob', 'PATCH', '/v1/orders/a-1', { price: '1' })).status).toBe(404);
    expect((await h.call('bob', 'DELETE', '/v1/orders/a-1')).status).toBe(404);
    expect((await h.call('bob', 'GET', '/v1/orders/a-1')).status).toBe(404);
    expect((await h.call('bob', 'GET', '/v1/orders?account=alice')).status).toBe(403);
    expect(h.fingerprint()).toEqual(before);
  });

  it('amend and cancel by the owner; a fill executes against the resting order', async () => {
    const h = harness();
    await seeded(h);
    await h.call('alice', 'POST', '/v1/orders', order);
    const amended = await h.call('alice', 'PATCH', '/v1/orders/a-1', { amount: '0.2' });
    expect(amended.status).toBe(200);
    expect((await h.call('alice', 'GET', '/v1/orders/a-1')).body.amount).toBe('0.2');
    const fill = await h.call('venue', 'POST', '/v1/fills', {
      symbol: 'BTCUSDT',
      buyer: { account: 'alice' },
      seller: { account: 'bob' },
      amount: '0.05',
      price: '59000',
      taker: 'seller',
      buyOrderId: 'a-1',
    });
    expect(fill.status).toBe(200);
    expect((await h.call('alice', 'GET', '/v1/orders/a-1')).body.amount).toBe('0.15');
    const cancel = await h.call('alice', 'DELETE', '/v1/orders/a-1?commandId=c-1');
    expect(cancel.status).toBe(200);
    expect((await h.call('alice', 'GET', '/v1/orders/a-1')).status).toBe(404);
    const repeat = await h.call('alice', 'DELETE', '/v1/orders/a-1?commandId=c-1');
    expect(repeat.status).toBe(404); // the order is gone: the owner check answers first
  });
});

describe('risk views', () => {
  it('what-if: buying 1 more BTC at 60,000 moves the scope into bracket 2 figures (IM 1%, MM 0.5% − 50)', async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    const r = await h.call('alice', 'POST', '/v1/accounts/alice/what-if', {
      trades: [{ symbol: 'BTCUSDT', side: 'buy', amount: '1', price: '60000' }],
    });
    expect(r.status).toBe(200);
    // Binance BTCUSDT bracket 2 (50,000-250,000 notional): 100x → IM 1% of 120,000 = 1,200;
    // MMR 0.5%, maintenance amount 50 → 120,000 × 0.005 − 50 = 550
    expect(r.body.after.cross.initialMargin).toBe('1200');
    expect(r.body.after.cross.maintenanceMargin).toBe('550');
    expect(r.body.changes.cross.maintenanceMargin).toBe('300');
    expect(h.fingerprint()).toEqual(before);
    const foreign = await h.call('alice', 'POST', '/v1/accounts/bob/what-if', {});
    expect(foreign.status).toBe(403);
    const unknown = await h.call('alice', 'POST', '/v1/accounts/alice/what-if', {
      trades: [{ symbol: 'DOGE', side: 'buy', amount: '1' }],
    });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'UNKNOWN_MARKET']);
  });

  it('margin breakdown names the bracket tier and its maintenance amount', async () => {
    const h = harness();
    await seeded(h);
    const r = await h.call('alice', 'GET', '/v1/accounts/alice/subaccounts/0/margin-breakdown');
    expect(r.status).toBe(200);
    const model = r.body.cross.positions[0].model;
    expect(model.kind).toBe('brackets');
    expect(model.tier).toMatchObject({ tier: 2, maintenanceRatio: '0.005', maintenanceAmount: '50' });
  });

  it('ADL queue and socialized-loss ledger for liquidators and operators only', async () => {
    const h = harness();
    await seeded(h);
    expect((await h.call('alice', 'GET', '/v1/adl-queue')).status).toBe(403);
    const q = await h.call('liq', 'GET', '/v1/adl-queue?symbol=BTCUSDT');
    expect(q.status).toBe(200);
    expect(q.body.markets[0].market).toBe('BTCUSDT');
    expect((await h.call('liq', 'GET', '/v1/adl-queue?symbol=NOPE')).status).toBe(404);
    const l = await h.call('op', 'GET', '/v1/socialized-losses');
    expect(l.status).toBe(200);
    expect(l.body).toMatchObject({ entries: [], ledgerTotal: '0' });
  });
});
