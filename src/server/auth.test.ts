/**
 * Signed requests and scopes: a request is accepted only with a valid signature, inside the time
 * window, once; a key acts only within its scopes and accounts. Every refusal changes nothing
 * (journal position and state hash unchanged).
 */
import { describe, expect, it } from 'vitest';
import { sign, signedHeaders } from './auth.ts';
import { harness, seeded } from './server.testkit.ts';

describe('HMAC-SHA256', () => {
  it('matches RFC 4231 test case 2 (key "Jefe")', () => {
    // RFC 4231 §4.3: HMAC-SHA-256 of "what do ya want for nothing?" under key "Jefe"
    expect(sign('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });
});

describe('signed requests', () => {
  const withdraw = { account: 'alice', asset: 'USDT', amount: '1' };

  it('refuses a missing signature, an unknown key, a bad signature, an expired timestamp and a replay, changing nothing', async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    const body = JSON.stringify(withdraw);
    const send = (headers: Record<string, string>, text = body) =>
      h.app.request('/v1/withdrawals', { method: 'POST', headers, body: text });

    const unsigned = await send({});
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'UNAUTHENTICATED' });

    const unknown = signedHeaders({ id: 'mallory', secret: 'y'.repeat(64) }, 'POST', '/v1/withdrawals', body);
    expect((await send(unknown)).status).toBe(401);

    const alice = h.KEYS_FOR_TEST.alice!;
    const wrongSecret = signedHeaders(
      { id: 'alice', secret: 'z'.repeat(64) },
      'POST',
      '/v1/withdrawals',
      body,
    );
    const bad = await send(wrongSecret);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 'BAD_SIGNATURE' });

    // a signature over another body (the amount changed in transit)
    const tampered = await send(
      signedHeaders(alice, 'POST', '/v1/withdrawals', body),
      JSON.stringify({ ...withdraw, amount: '9000' }),
    );
    expect(tampered.status).toBe(401);
    expect(await tampered.clone().json()).toMatchObject({ code: 'BAD_SIGNATURE' });

    const expired = await send(signedHeaders(alice, 'POST', '/v1/withdrawals', body, Date.now() - 60_000));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ code: 'STALE_REQUEST' });
    const future = await send(signedHeaders(alice, 'POST', '/v1/withdrawals', body, Date.now() + 60_000));
    expect(future.status).toBe(401);

    expect(h.fingerprint()).toEqual(before);

    const once = signedHeaders(alice, 'POST', '/v1/withdrawals', body);
    const first = await send(once);
    expect(first.status).toBe(200);
    const afterFirst = h.fingerprint();
    const replay = await send(once);
    expect(replay.status).toBe(401);
    const replayBody = await replay.json();
    expect(replayBody).toMatchObject({ code: 'REPLAYED_REQUEST' });
    expect(JSON.stringify(replayBody)).not.toMatch(/at .*\.ts/);
    expect(h.fingerprint()).toEqual(afterFirst);
  });

  it('signs the path with its query string', async () => {
    const h = harness();
    const headers = signedHeaders(h.KEYS_FOR_TEST.op!, 'GET', '/v1/audit?limit=5', '');
    expect((await h.app.request('/v1/audit?limit=5', { headers })).status).toBe(200);
    const other = signedHeaders(h.KEYS_FOR_TEST.op!, 'GET', '/v1/audit?limit=5', '');
    expect((await h.app.request('/v1/audit?limit=6', { headers: other })).status).toBe(401);
  });
});

describe('scopes and accounts', () => {
  it("no trader key can read, move or liquidate another account's funds, and nothing changes", async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    const refusals = [
      await h.call('alice', 'GET', '/v1/accounts/bob'),
      await h.call('alice', 'GET', '/v1/accounts/bob/subaccounts/0'),
      await h.call('alice', 'POST', '/v1/withdrawals', { account: 'bob', asset: 'USDT', amount: '1' }),
      await h.call('alice', 'POST', '/v1/transfers', {
        account: 'bob',
        fromSub: '0',
        toSub: '1',
        asset: 'USDT',
        amount: '1',
      }),
      await h.call('alice', 'PUT', '/v1/accounts/bob/subaccounts/0/leverage', {
        symbol: 'BTCUSDT',
        leverage: '2',
      }),
      await h.call('alice', 'POST', '/v1/liquidations', { account: 'bob' }),
      await h.call('alice', 'POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '1' }),
      await h.call('alice', 'POST', '/v1/fills', {
        symbol: 'BTCUSDT',
        buyer: { account: 'alice' },
        seller: { account: 'bob' },
        amount: '1',
        price: '1',
      }),
      await h.call('alice', 'PUT', '/v1/markets/BTCUSDT/liquidations', { paused: true }),
    ];
    for (const r of refusals) {
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('FORBIDDEN');
    }
    const list = await h.call('alice', 'GET', '/v1/accounts');
    expect(list.body.accounts.map((a: { account: string }) => a.account)).toEqual(['alice']);
    expect(h.fingerprint()).toEqual(before);
  });

  it('feed keys cannot trade, move funds or configure; a liquidator cannot take a position into a foreign account', async () => {
    const h = harness();
    await seeded(h);
    const before = h.fingerprint();
    const refusals = [
      await h.call('feed', 'POST', '/v1/fills', {
        symbol: 'BTCUSDT',
        buyer: { account: 'alice' },
        seller: { account: 'bob' },
        amount: '1',
        price: '60000',
      }),
      await h.call('feed', 'POST', '/v1/withdrawals', { account: 'alice', asset: 'USDT', amount: '1' }),
      await h.call('feed', 'POST', '/v1/liquidations', { account: 'alice' }),
      await h.call('feed', 'GET', '/v1/accounts/alice'),
      await h.call('feed', 'PUT', '/v1/policy', {}),
      await h.call('liq', 'POST', '/v1/liquidations', { account: 'alice', liquidator: { account: 'bob' } }),
      await h.call('venue', 'POST', '/v1/prices', { marks: { BTCUSDT: '1' } }),
    ];
    for (const r of refusals) expect([r.status, r.body.code]).toEqual([403, 'FORBIDDEN']);
    expect(h.fingerprint()).toEqual(before);
  });

  it('a liquidator reads any account and liquidates one below maintenance into its own account', async () => {
    const h = harness();
    await seeded(h);
    expect((await h.call('liq', 'GET', '/v1/accounts/alice')).status).toBe(200);
    const healthy = await h.call('liq', 'POST', '/v1/liquidations', {
      account: 'alice',
      liquidator: { account: 'keeper' },
    });
    expect([healthy.status, healthy.body.code]).toEqual([422, 'NOT_LIQUIDATABLE']);
    expect((await h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: '50000' } })).status).toBe(200);
    const r = await h.call('liq', 'POST', '/v1/liquidations', {
      account: 'alice',
      liquidator: { account: 'keeper' },
    });
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: { type: string }) => e.type)).toContain('liquidation_completed');
  });
});
