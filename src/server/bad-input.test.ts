/**
 * Bad input, one test per class: each gets its status and a `{code, message}` body without a stack
 * trace, and changes nothing (journal position and state hash unchanged).
 */
import { describe, expect, it } from 'vitest';
import { signedHeaders } from './auth.ts';
import { type Harness, harness, seeded } from './server.testkit.ts';

function expectCleanError(r: { status: number; body: unknown }, status: number, code: string): void {
  expect(r.status).toBe(status);
  const body = r.body as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(body.message.length).toBeGreaterThan(0);
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |\.ts:\d+/);
}

async function unchanged(h: Harness, f: () => Promise<void>): Promise<void> {
  const before = h.fingerprint();
  await f();
  expect(h.fingerprint()).toEqual(before);
}

describe('bad input', () => {
  it('malformed JSON → 400 MALFORMED_JSON', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      expectCleanError(
        await h.call('op', 'POST', '/v1/deposits', '{"account": "alice",'),
        400,
        'MALFORMED_JSON',
      );
    });
  });

  it('unknown fields → 400 INVALID_REQUEST naming the field', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      const r = await h.call('op', 'POST', '/v1/deposits', {
        account: 'alice',
        asset: 'USDT',
        amount: '1',
        bonus: '5',
      });
      expectCleanError(r, 400, 'INVALID_REQUEST');
      expect(r.body.message).toContain('bonus');
    });
  });

  it('wrong types → 400 INVALID_REQUEST', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      expectCleanError(
        await h.call('op', 'POST', '/v1/deposits', { account: 7, asset: 'USDT', amount: '1' }),
        400,
        'INVALID_REQUEST',
      );
      expectCleanError(await h.call('op', 'POST', '/v1/deposits', []), 400, 'INVALID_REQUEST');
      expectCleanError(
        await h.call('op', 'PUT', '/v1/markets/BTCUSDT/liquidations', { paused: 'yes' }),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  it('a JSON number where a decimal string is expected → 400 saying so', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      const r = await h.call('op', 'POST', '/v1/deposits', {
        account: 'alice',
        asset: 'USDT',
        amount: 100.5,
      });
      expectCleanError(r, 400, 'INVALID_REQUEST');
      expect(r.body.message).toMatch(/amount: must be a decimal string .*not a JSON number/);
      const p = await h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: 61000 } });
      expectCleanError(p, 400, 'INVALID_REQUEST');
      expect(p.body.message).toContain('not a JSON number');
    });
  });

  it('negative, zero, exponent and absurd sizes → 400', async () => {
    const h = harness();
    await seeded(h);
    const fill = (amount: string) =>
      h.call('venue', 'POST', '/v1/fills', {
        symbol: 'BTCUSDT',
        buyer: { account: 'alice' },
        seller: { account: 'bob' },
        amount,
        price: '60000',
      });
    await unchanged(h, async () => {
      for (const amount of [
        '-1',
        '0',
        '1e3',
        '0.0000000001',
        '99999999999999999999999999999999',
        ' 1',
        'NaN',
      ]) {
        const r = await fill(amount);
        expect(r.status, amount).toBe(400);
        expect(['INVALID_REQUEST', 'MALFORMED_COMMAND', 'INVALID_SIZE']).toContain(r.body.code);
      }
      expectCleanError(
        await h.call('op', 'POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '-5' }),
        400,
        'INVALID_REQUEST',
      );
    });
  });

  it('unknown ids → 404', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      expectCleanError(await h.call('op', 'GET', '/v1/accounts/nobody'), 404, 'UNKNOWN_SUBACCOUNT');
      expectCleanError(await h.call(undefined, 'GET', '/v1/markets/DOGEUSDT'), 404, 'UNKNOWN_MARKET');
      expectCleanError(
        await h.call('venue', 'POST', '/v1/fills', {
          symbol: 'DOGEUSDT',
          buyer: { account: 'alice' },
          seller: { account: 'bob' },
          amount: '1',
          price: '1',
        }),
        404,
        'UNKNOWN_MARKET',
      );
      expectCleanError(
        await h.call('op', 'POST', '/v1/withdrawals', { account: 'alice', asset: 'DOGE', amount: '1' }),
        404,
        'UNKNOWN_ASSET',
      );
      expectCleanError(await h.call(undefined, 'GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
    });
  });

  it('expired and replayed signatures → 401', async () => {
    const h = harness();
    await seeded(h);
    const body = JSON.stringify({ account: 'alice', asset: 'USDT', amount: '1' });
    await unchanged(h, async () => {
      const old = signedHeaders(h.KEYS_FOR_TEST.alice!, 'POST', '/v1/withdrawals', body, Date.now() - 10_000);
      const r = await h.app.request('/v1/withdrawals', { method: 'POST', headers: old, body });
      expectCleanError({ status: r.status, body: await r.json() }, 401, 'STALE_REQUEST');
    });
    const once = signedHeaders(h.KEYS_FOR_TEST.alice!, 'POST', '/v1/withdrawals', body);
    expect((await h.app.request('/v1/withdrawals', { method: 'POST', headers: once, body })).status).toBe(
      200,
    );
    await unchanged(h, async () => {
      const r = await h.app.request('/v1/withdrawals', { method: 'POST', headers: once, body });
      expectCleanError({ status: r.status, body: await r.json() }, 401, 'REPLAYED_REQUEST');
    });
  });

  it('oversized bodies → 413', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      const marks: Record<string, string> = {};
      for (let i = 0; i < 5000; i++) marks[`M${i}`] = '1.2345678';
      expectCleanError(await h.call('feed', 'POST', '/v1/prices', { marks }), 413, 'BODY_TOO_LARGE');
    });
  });

  it('business rejections → 422 with the engine code', async () => {
    const h = harness();
    await seeded(h);
    await unchanged(h, async () => {
      const r = await h.call('alice', 'POST', '/v1/withdrawals', {
        account: 'alice',
        asset: 'USDT',
        amount: '9500',
      });
      expectCleanError(r, 422, 'INSUFFICIENT_MARGIN');
    });
  });
});
