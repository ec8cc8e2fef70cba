/**
 * PUT /v1/markets/:symbol/safe-mode: the operator holds a market in safe mode. The hold is an
 * engine command (journaled, replayed, kept in snapshots) and an audit record; while it holds,
 * the engine treats the market as an oracle in safe mode (withdrawals and risk-increasing
 * trades against it refused, liquidations wait), and releasing it restores both.
 */
import { describe, expect, it } from 'vitest';
import { decodeEvent, decodeSnapshot, encodeSnapshot, stateHash } from '../../core/engine/codec.ts';
import { Engine } from '../../core/engine/engine.ts';
import { harness, seeded } from '../server.testkit.ts';

const force = (forced: unknown) => ['op', 'PUT', '/v1/markets/BTCUSDT/safe-mode', { forced }] as const;

describe('forcing safe mode', () => {
  it('is journaled and audited, refuses value out and liquidations while it holds, and is released', async () => {
    const h = harness();
    await seeded(h);
    const on = await h.call(...force(true));
    expect(on.status).toBe(200);
    expect(on.body.events.map((e: { type: string }) => e.type)).toEqual(['safe_mode_forced']);
    const audit = (await h.call('op', 'GET', '/v1/audit')).body.records;
    expect(audit[0]).toMatchObject({
      keyId: 'op',
      command: 'force_safe_mode',
      target: 'BTCUSDT',
      before: { safeModeForced: false, safeMode: false },
      after: { safeModeForced: true, safeMode: true },
      seq: on.body.seq,
    });
    const ov = (await h.call(undefined, 'GET', '/v1/dashboard/overview')).body;
    const btc = ov.markets.find((m: { symbol: string }) => m.symbol === 'BTCUSDT');
    expect([btc.safeModeForced, btc.safeMode]).toEqual([true, true]);
    const eth = ov.markets.find((m: { symbol: string }) => m.symbol === 'ETHUSDT');
    expect(eth.safeModeForced).toBe(false);

    // alice holds BTCUSDT: no withdrawal, no bigger position
    const w = { account: 'alice', asset: 'USDT', amount: '100' };
    const refused = await h.call('alice', 'POST', '/v1/withdrawals', w);
    expect([refused.status, refused.body.code]).toEqual([503, 'SAFE_MODE']);
    expect(refused.body.message).toContain('operator');
    const bigger = await h.call('venue', 'POST', '/v1/fills', {
      symbol: 'BTCUSDT',
      buyer: { account: 'alice' },
      seller: { account: 'bob' },
      amount: '0.1',
      price: '60000',
    });
    expect(bigger.body.code).toBe('SAFE_MODE');
    // a price through her liquidation price: the liquidation waits
    await h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: '50000' } });
    const liq = await h.call('liq', 'POST', '/v1/liquidations', {
      account: 'alice',
      liquidator: { account: 'keeper' },
    });
    expect(liq.body.code).toBe('LIQUIDATIONS_PAUSED');
    expect(liq.body.message).toContain('safe mode');

    // the hold is in the journal and in snapshots
    const replayed = Engine.replay([...h.journal.read()].map((e) => decodeEvent(e.json)));
    expect(replayed.markets.get('BTCUSDT')!.safeModeForced).toBe(true);
    const snap = decodeSnapshot(encodeSnapshot(h.engine.state));
    expect(snap.markets.get('BTCUSDT')!.safeModeForced).toBe(true);
    expect(stateHash(snap)).toBe(h.engine.stateHash());

    const off = await h.call(...force(false));
    expect(off.status).toBe(200);
    const liq2 = await h.call('liq', 'POST', '/v1/liquidations', {
      account: 'alice',
      liquidator: { account: 'keeper' },
    });
    expect(liq2.status).toBe(200);
    expect((await h.call('op', 'GET', '/v1/audit?limit=1')).body.records[0].after).toEqual({
      safeModeForced: false,
      safeMode: false,
    });
  });

  it('is for the operator key only; bad input and unknown markets change nothing', async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    expect((await h.call('alice', 'PUT', '/v1/markets/BTCUSDT/safe-mode', { forced: true })).status).toBe(
      403,
    );
    expect((await h.call('liq', 'PUT', '/v1/markets/BTCUSDT/safe-mode', { forced: true })).status).toBe(403);
    expect((await h.call(undefined, 'PUT', '/v1/markets/BTCUSDT/safe-mode', { forced: true })).status).toBe(
      401,
    );
    for (const body of [{ forced: 'yes' }, {}, { forced: true, extra: 1 }]) {
      const r = await h.call('op', 'PUT', '/v1/markets/BTCUSDT/safe-mode', body);
      expect([r.status, r.body.code]).toEqual([400, 'INVALID_REQUEST']);
    }
    const unknown = await h.call('op', 'PUT', '/v1/markets/NOPE/safe-mode', { forced: true });
    expect(unknown.body.code).toBe('UNKNOWN_MARKET');
    expect(h.fingerprint()).toEqual(before);
    expect((await h.call('op', 'GET', '/v1/audit')).body.records).toHaveLength(0);
  });
});
