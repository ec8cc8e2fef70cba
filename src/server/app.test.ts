/**
 * The API end to end over `app.request()`: money moves and figures as decimal strings, idempotency
 * keys, audited operator changes, the calculator on Binance's published example, metrics,
 * readiness, and a real listening server that shuts down gracefully.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startServer } from './app.ts';
import { PlimsollApiError, PlimsollClient } from './client.ts';
import { harness, seeded } from './server.testkit.ts';

describe('funds and figures', () => {
  it('deposits, transfers between own subaccounts and withdrawals show in the balances as decimal strings', async () => {
    const h = harness();
    await seeded(h);
    // alice: 10,000 deposited, minus the 0.05% taker fee on 60,000 notional = 9,970
    const t = await h.call('alice', 'POST', '/v1/transfers', {
      account: 'alice',
      fromSub: '0',
      toSub: 'savings',
      asset: 'USDT',
      amount: '1000.5',
    });
    expect(t.status).toBe(200);
    expect(t.body.events.map((e: { type: string }) => e.type)).toContain('moved');
    expect(
      (
        await h.call('alice', 'POST', '/v1/withdrawals', {
          account: 'alice',
          sub: 'savings',
          asset: 'USDT',
          amount: '0.5',
        })
      ).status,
    ).toBe(200);
    const acct = await h.call('alice', 'GET', '/v1/accounts/alice');
    const subs = Object.fromEntries(acct.body.subaccounts.map((s: { sub: string }) => [s.sub, s]));
    expect(subs['0'].balances.USDT).toBe('8969.5');
    expect(subs.savings.balances.USDT).toBe('1000');
    const pos = subs['0'].cross.positions[0];
    expect(pos).toMatchObject({
      symbol: 'BTCUSDT',
      side: 'long',
      contracts: '1',
      entryPrice: '60000',
      marginMode: 'cross',
    });
    // Binance USDⓈ-M BTCUSDT bracket 2 (notional 50,000-250,000): max leverage 100x → IM 1% of
    // 60,000 = 600; MMR 0.5% with maintenance amount 50 → 60,000 × 0.005 − 50 = 250
    expect(subs['0'].cross.initialMargin).toBe('600');
    expect(subs['0'].cross.maintenanceMargin).toBe('250');
  });

  it('a repeated commandId returns the first outcome and changes nothing; reused for another command it is a 409', async () => {
    const h = harness();
    await seeded(h);
    const body = { account: 'alice', asset: 'USDT', amount: '10', commandId: 'w-1' };
    const first = await h.call('alice', 'POST', '/v1/withdrawals', body);
    expect(first.status).toBe(200);
    const after = h.fingerprint();
    const again = await h.call('alice', 'POST', '/v1/withdrawals', body);
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    expect(again.body.seq).toBe(first.body.seq);
    expect(h.fingerprint()).toEqual(after);
    const other = await h.call('alice', 'POST', '/v1/withdrawals', { ...body, amount: '11' });
    expect([other.status, other.body.code]).toEqual([409, 'COMMAND_ID_CONFLICT']);
    expect(h.fingerprint()).toEqual(after);
  });

  it('public reads need no key: markets, prices, assets, insurance fund', async () => {
    const h = harness();
    await seeded(h);
    expect((await h.call(undefined, 'GET', '/v1/prices')).body.marks).toEqual({
      BTCUSDT: '60000',
      ETHUSDT: '3000',
    });
    expect((await h.call(undefined, 'GET', '/v1/markets/BTCUSDT')).body).toMatchObject({
      symbol: 'BTCUSDT',
      openInterest: '1',
    });
    expect((await h.call(undefined, 'GET', '/v1/assets')).body.assets[0]).toMatchObject({
      asset: 'USDT',
      settlement: true,
    });
    expect((await h.call(undefined, 'GET', '/v1/insurance-fund')).body).toMatchObject({
      socializedLossTotal: '0',
      settlementAsset: 'USDT',
    });
  });
});

describe('operator changes', () => {
  it('are journaled by the engine and audited with key, time, before and after', async () => {
    const h = harness();
    await seeded(h);
    const pause = await h.call('op', 'PUT', '/v1/markets/BTCUSDT/liquidations', { paused: true });
    expect(pause.status).toBe(200);
    expect(pause.body.events.map((e: { type: string }) => e.type)).toEqual(['market_paused']);
    const audit = await h.call('op', 'GET', '/v1/audit');
    expect(audit.body.records).toHaveLength(1);
    expect(audit.body.records[0]).toMatchObject({
      keyId: 'op',
      command: 'pause_liquidations',
      target: 'BTCUSDT',
      before: { liquidationsPaused: false },
      after: { liquidationsPaused: true },
      seq: pause.body.seq,
    });
    await h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: '50000' } });
    const liq = await h.call('liq', 'POST', '/v1/liquidations', {
      account: 'alice',
      liquidator: { account: 'keeper' },
    });
    expect([liq.status, liq.body.code]).toEqual([409, 'LIQUIDATIONS_PAUSED']);

    const asset = await h.call('op', 'PUT', '/v1/assets/BTC', {
      config: { decimals: 8, initialWeight: '0.9', maintenanceWeight: '0.95' },
    });
    expect(asset.status).toBe(200);
    const rec = (await h.call('op', 'GET', '/v1/audit?limit=1')).body.records;
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ command: 'set_asset', target: 'BTC', before: null });
    expect(rec[0].after).toMatchObject({ id: 'BTC', decimals: 8, initialWeight: '900000' });
    const refused = await h.call('op', 'PUT', '/v1/assets/ETH', { config: { decimals: 99 } });
    expect(refused.status).toBe(400);
    expect((await h.call('op', 'GET', '/v1/audit')).body.records).toHaveLength(2);
  });
});

describe('calculator', () => {
  it("reproduces Binance's published cross-margin worked example (BTCUSDT liquidation price 26,316.89)", async () => {
    const h = harness();
    const input = JSON.parse(
      readFileSync(new URL('../../examples/liq-price-binance-cross.json', import.meta.url), 'utf8'),
    );
    const r = await h.call('alice', 'POST', '/v1/calculator/liquidation-price', input);
    expect(r.status).toBe(200);
    // Binance's published figure (test/vectors/binance_usdm_worked_example.json), to the cent
    expect(Number(r.body.liquidationPrice).toFixed(2)).toBe('26316.89');
    const bad = await h.call('alice', 'POST', '/v1/calculator/liquidation-price', {
      ...input,
      preset: 'nope',
    });
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_REQUEST']);
  });
});

describe('metrics and readiness', () => {
  it('exposes fill pre-trade latency, commands by outcome, insurance fund and HTTP requests', async () => {
    const h = harness();
    await seeded(h);
    await h.call('alice', 'POST', '/v1/withdrawals', { account: 'alice', asset: 'USDT', amount: '999999' });
    const text: string = (await h.call(undefined, 'GET', '/metrics')).body;
    expect(text).toMatch(/plimsoll_pretrade_check_seconds_count\{kind="fill"\} 1/);
    expect(text).toMatch(/plimsoll_commands_total\{type="deposit",outcome="ok"\} 3/);
    expect(text).toMatch(/plimsoll_commands_total\{type="withdraw",outcome="INSUFFICIENT_BALANCE"\} 1/);
    expect(text).toMatch(
      /plimsoll_http_requests_total\{method="POST",route="\/v1\/withdrawals",status="422"\} 1/,
    );
    expect(text).toMatch(/plimsoll_journal_seq \d+/);
    expect(text).toContain('plimsoll_insurance_fund');
  });

  it('readyz is 503 NOT_READY while shutting down; healthz stays up', async () => {
    const h = harness();
    expect((await h.call(undefined, 'GET', '/readyz')).status).toBe(200);
    h.ctx.shuttingDown = true;
    const r = await h.call(undefined, 'GET', '/readyz');
    expect([r.status, r.body.code]).toEqual([503, 'NOT_READY']);
    expect((await h.call(undefined, 'GET', '/healthz')).status).toBe(200);
    const w = await h.call('op', 'POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '1' });
    expect([w.status, w.body.code]).toEqual([503, 'SHUTTING_DOWN']);
  });
});

describe('startServer', () => {
  it('listens on a free port, serves the signing client, and closes after draining', async () => {
    const h = harness();
    let closed = false;
    const running = await startServer({ app: h, port: 0, onClose: () => void (closed = true) });
    try {
      expect(running.port).toBeGreaterThan(0);
      const op = h.KEYS_FOR_TEST.op!;
      const client = new PlimsollClient({ url: running.url, keyId: op.id, secret: op.secret });
      await client.syncClock();
      await client.deposit({ account: 'carol', asset: 'USDT', amount: '42.42' });
      const acct = (await client.subaccount('carol')) as { balances: Record<string, string> };
      expect(acct.balances.USDT).toBe('42.42');
      await expect(client.subaccount('nobody')).rejects.toBeInstanceOf(PlimsollApiError);
      await expect(client.request('POST', '/v1/deposits', { account: 'x' })).rejects.toMatchObject({
        status: 400,
        code: 'INVALID_REQUEST',
      });
    } finally {
      await running.close();
    }
    expect(closed).toBe(true);
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });
});
