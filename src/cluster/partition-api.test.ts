/**
 * The partition API without NATS: route handlers run over an engine whose sink never executes.
 * A mutating route hands back the command the single process would have executed (and the engine
 * is untouched); reads answer as the route does; bad input gets the route's own typed errors.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../core/engine/engine.ts';
import { getPreset } from '../core/presets/index.ts';
import { createContext } from '../server/app.ts';
import { createLogger } from '../server/log.ts';
import type { RouteDef } from '../server/route.ts';
import { allRoutes } from '../server/routes/index.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import { capturingSink, runRoute } from './partition-api.ts';

function setup() {
  const engine = Engine.create(getPreset('binance-usdm')!.config(), { journal: new InMemoryJournal() });
  const r = engine.execute({
    type: 'deposit',
    to: { account: 'alice', sub: '0' },
    asset: 'USDT',
    amount: '100',
  });
  if (!r.ok) throw new Error('setup');
  const { sink } = capturingSink(() => engine);
  const ctx = createContext({ sink, logger: createLogger({ level: 'silent' }) });
  const routes = new Map<string, RouteDef>();
  for (const x of allRoutes(() => ({}))) routes.set(`${x.method.toUpperCase()} ${x.path}`, x);
  return { engine, ctx, routes };
}

describe('partition API', () => {
  it('answers a read as the route does', async () => {
    const { ctx, routes } = setup();
    const a = await runRoute(ctx, routes, {
      method: 'get',
      path: '/v1/accounts/:account',
      params: { account: 'alice' },
      query: {},
    });
    expect(a.kind).toBe('reply');
    expect(
      (a as { body: { subaccounts: { balances: Record<string, string> }[] } }).body.subaccounts[0]!.balances,
    ).toEqual({ USDT: '100' });
  });

  it("refuses bad input with the route's typed errors, changing nothing", async () => {
    const { engine, ctx, routes } = setup();
    const hash = engine.stateHash();
    const ask = (path: string, body?: string, method = 'post') =>
      runRoute(ctx, routes, { method, path, params: {}, query: {}, ...(body === undefined ? {} : { body }) });
    expect(await ask('/v1/deposits', '{not json')).toMatchObject({ kind: 'error', code: 'MALFORMED_JSON' });
    expect(await ask('/v1/deposits', '{"account":"alice","asset":"USDT"}')).toMatchObject({
      kind: 'error',
      code: 'INVALID_REQUEST',
      details: expect.anything(),
    });
    expect(await ask('/v1/nothing-here', '{}')).toMatchObject({ kind: 'error', code: 'NOT_FOUND' });
    expect(await runRoute(ctx, routes, undefined)).toMatchObject({ kind: 'error', code: 'NOT_FOUND' });
    expect(
      await runRoute(ctx, routes, {
        method: 'get',
        path: '/v1/orders/:orderId',
        params: { orderId: 'x' },
        query: {},
      }),
    ).toMatchObject({ kind: 'error', code: 'UNKNOWN_ORDER' });
    expect(engine.stateHash()).toBe(hash);
  });

  it('hands back the command a mutating route would execute, and executes nothing', async () => {
    const { engine, ctx, routes } = setup();
    const hash = engine.stateHash();
    const seq = engine.state.seq;
    const a = await runRoute(ctx, routes, {
      method: 'post',
      path: '/v1/withdrawals',
      params: {},
      query: {},
      body: JSON.stringify({ account: 'alice', asset: 'USDT', amount: '40', commandId: 'w1' }),
    });
    expect(a).toMatchObject({
      kind: 'command',
      command: {
        type: 'withdraw',
        from: { account: 'alice', sub: '0' },
        asset: 'USDT',
        amount: '40',
        commandId: 'w1',
      },
    });
    expect(engine.state.seq).toBe(seq);
    expect(engine.stateHash()).toBe(hash);
  });
});
