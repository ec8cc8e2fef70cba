/**
 * The same API on the cluster gateway as on the single process: the gateway's OpenAPI document is
 * the single process's, every documented route is answered (never an unknown-route 404), the
 * routes without a cluster meaning answer 501 CLUSTER_UNSUPPORTED, and one script of requests
 * played against the single-process app (the test harness: in-memory engine, binance-usdm preset)
 * and against a two-partition cluster on the same preset gives the same reads — the reference is
 * the single process's answer, not the cluster's own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshClusterName, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { getPreset } from '../core/presets/index.ts';
import { openApiPath } from '../server/openapi.ts';
import { harness } from '../server/server.testkit.ts';
import { startTestCluster, stopTestCluster, type TestCluster } from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { gatewayApp } from './gateway.ts';
import { CLUSTER_UNSUPPORTED, dispositionOf, sumDecimals } from './gateway-api.ts';
import { partitionOf } from './partition.ts';

const READY =
  (await postgresAvailable('the gateway API tests')) && (await natsAvailable('the gateway API tests'));
const N = 2;

type Running = TestCluster;
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await stopTestCluster(r);
});

async function cluster(): Promise<Running> {
  const r = await startTestCluster({
    name: freshClusterName(),
    partitions: N,
    config: getPreset('binance-usdm')!.config(),
    settlement: { id: 'USDT', decimals: 8 },
    snapshotEvery: 50,
  });
  running.push(r);
  return r;
}

/** The first `count` ids `${prefix}N` that live in `partition`. */
function idsIn(partition: number, prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    if (partitionOf(`${prefix}${i}`, N) === partition) out.push(`${prefix}${i}`);
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
type Reply = { status: number; body: any };

function gatewayCaller(r: Running) {
  const app = gatewayApp(r.client);
  return async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  };
}

describe('exact decimal sums (merged open interest and fund balances)', () => {
  it('adds at the widest scale and formats like the API (no trailing zeros)', () => {
    expect(sumDecimals(['1.5', '2.25'])).toBe('3.75');
    expect(sumDecimals(['0.1', '0.2'])).toBe('0.3'); // a float sum would give 0.30000000000000004
    expect(sumDecimals(['-1.25', '1.25'])).toBe('0');
    expect(sumDecimals(['10', '-12.5'])).toBe('-2.5');
    expect(sumDecimals(['123456789012345678901234567890.000000001', '1'])).toBe(
      '123456789012345678901234567891.000000001',
    );
  });
});

describe.runIf(READY)('the cluster gateway serves the single-process API', () => {
  it('documents the same routes and answers every one of them (none is an unknown route)', async () => {
    const r = await cluster();
    const call = gatewayCaller(r);
    const single = await harness().call(undefined, 'GET', '/openapi.json');
    const doc = (await call('GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(single.body.paths).sort());
    const [acct] = idsIn(0, 'walker', 1);
    await call('POST', '/v1/deposits', { account: acct, asset: 'USDT', amount: '100' });
    const fill = (p: string) =>
      p
        .replace('{account}', acct!)
        .replace('{sub}', '0')
        .replace('{symbol}', 'BTCUSDT')
        .replace('{asset}', 'USDT')
        .replace('{orderId}', 'no-such-order');
    let walked = 0;
    const unsupported: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        const m = method.toUpperCase();
        // an empty body: the route's own validation answers (400), which proves the route is there
        const res = await call(m, fill(path), m === 'GET' || m === 'DELETE' ? undefined : {});
        walked++;
        const where = `${m} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        expect(res.body?.code, where).not.toBe('NOT_FOUND');
        expect(res.status, where).toBeLessThan(500 + (res.body?.code === CLUSTER_UNSUPPORTED ? 2 : 0));
        if (res.body?.code === CLUSTER_UNSUPPORTED) {
          expect(res.status).toBe(501);
          unsupported.push(`${m} ${path}`);
        }
      }
    }
    expect(walked).toBeGreaterThan(45);
    const documented = (single.body.paths ? Object.entries(single.body.paths) : [])
      .flatMap(([p, ops]) => Object.keys(ops as object).map((m) => ({ method: m, path: p })))
      .filter(
        (x) =>
          dispositionOf({ method: x.method as 'get', path: x.path.replace(/\{(\w+)\}/g, ':$1') }).kind ===
          'unsupported',
      )
      .map((x) => `${x.method.toUpperCase()} ${x.path}`);
    expect(unsupported.sort()).toEqual(documented.sort());
    expect(unsupported.length).toBeLessThanOrEqual(1);
  });

  it('answers reads like the single process after the same commands (accounts, orders, risk, what-if, merges)', async () => {
    const r = await cluster();
    const gw = gatewayCaller(r);
    const h = harness();
    const one = (m: string, p: string, b?: unknown) => h.call('op', m, p, b) as Promise<Reply>;
    const [a, b] = idsIn(0, 'acct', 2) as [string, string];
    const [c] = idsIn(1, 'acct', 1) as [string];
    const script: [string, string, unknown][] = [
      ['POST', '/v1/deposits', { account: a, asset: 'USDT', amount: '10000', commandId: 'd1' }],
      ['POST', '/v1/deposits', { account: b, asset: 'USDT', amount: '10000', commandId: 'd2' }],
      ['POST', '/v1/deposits', { account: c, asset: 'USDT', amount: '5000', commandId: 'd3' }],
      [
        'POST',
        '/v1/transfers',
        { account: c, fromSub: '0', toSub: '1', asset: 'USDT', amount: '1000', commandId: 't1' },
      ],
      [
        'POST',
        '/v1/prices',
        { marks: { BTCUSDT: '60000', ETHUSDT: '3000' }, timeMs: Date.now(), commandId: 'p1' },
      ],
      [
        'POST',
        '/v1/fills',
        {
          symbol: 'BTCUSDT',
          buyer: { account: a },
          seller: { account: b },
          amount: '1',
          price: '60000',
          commandId: 'f1',
        },
      ],
      [
        'POST',
        '/v1/fills',
        {
          symbol: 'ETHUSDT',
          buyer: { account: c },
          seller: { account: c, sub: '1' },
          amount: '1',
          price: '3000',
          commandId: 'f2',
        },
      ],
      [
        'POST',
        '/v1/orders',
        {
          orderId: 'o1',
          account: c,
          symbol: 'ETHUSDT',
          side: 'buy',
          amount: '1',
          price: '2900',
          commandId: 'o1',
        },
      ],
    ];
    for (const [m, p, body] of script) {
      const x = await one(m, p, body);
      const y = await gw(m, p, body);
      expect(x.status, `${m} ${p} single: ${JSON.stringify(x.body)}`).toBe(200);
      expect(y.status, `${m} ${p} cluster: ${JSON.stringify(y.body)}`).toBe(200);
      expect(y.body.events.map((e: { type: string }) => e.type)).toEqual(
        x.body.events.map((e: { type: string }) => e.type),
      );
    }
    // a repeat is replayed, as in the single process
    expect((await gw('POST', '/v1/deposits', script[0]![2])).body.replayed).toBe(true);
    // biome-ignore lint/suspicious/noExplicitAny: bodies are compared as plain JSON
    type Strip = (x: any) => unknown;
    const same = async (m: string, p: string, body?: unknown, strip: Strip = (x) => x) => {
      const x = await one(m, p, body);
      const y = await gw(m, p, body);
      expect(y.status, `${m} ${p}`).toBe(x.status);
      expect(strip(y.body), `${m} ${p}`).toEqual(strip(x.body));
    };
    for (const id of [a, b, c]) {
      await same('GET', `/v1/accounts/${id}`);
      await same('GET', `/v1/accounts/${id}/subaccounts/0`);
      await same('GET', `/v1/accounts/${id}/subaccounts/0/margin-breakdown`);
    }
    // the cluster lists accounts by id (the single process in order of first appearance)
    const byId = (x: { accounts: { account: string }[] }) =>
      [...x.accounts].sort((p, q) => (p.account < q.account ? -1 : 1));
    await same('GET', '/v1/accounts', undefined, byId);
    await same('GET', `/v1/orders?account=${c}`);
    await same('GET', '/v1/orders/o1');
    await same('POST', '/v1/orders/check', {
      orderId: 'o2',
      account: a,
      symbol: 'BTCUSDT',
      side: 'buy',
      amount: '0.5',
      price: '59000',
    });
    await same('POST', `/v1/accounts/${a}/what-if`, {
      trades: [{ symbol: 'BTCUSDT', side: 'buy', amount: '1', price: '60000' }],
    });
    await same('GET', '/v1/markets'); // open interest summed over both partitions
    await same('GET', '/v1/markets/ETHUSDT');
    await same('GET', '/v1/assets');
    await same('GET', '/v1/insurance-fund');
    const ranks = (x: { scopes: unknown[]; total: number }) => ({ total: x.total, scopes: x.scopes });
    await same('GET', '/v1/risk/at-risk?limit=10', undefined, ranks);
    // the account's history: the same events (their seqs are the partition's, not one journal's)
    const kinds = (x: { events: { type?: string; event?: { type: string } }[] }) =>
      x.events.map((e) => e.type ?? e.event?.type);
    await same('GET', `/v1/accounts/${c}/events`, undefined, kinds);
    // refusals keep the single process's codes and statuses
    await same('POST', '/v1/withdrawals', { account: a, asset: 'USDT', amount: '1000000' });
    await same('POST', '/v1/deposits', { account: a, asset: 'USDT' });
    await same('GET', '/v1/orders/nope');
    // a fill across partitions is refused, typed, with nothing applied
    const cross = await gw('POST', '/v1/fills', {
      symbol: 'BTCUSDT',
      buyer: { account: a },
      seller: { account: c },
      amount: '0.1',
      price: '60000',
      commandId: 'x1',
    });
    expect(cross).toMatchObject({ status: 422, body: { code: 'CROSS_PARTITION' } });
    const report = await checkConservation(PG_URL, r.names, N);
    expect(report.problems).toEqual([]);
  });

  it('amends and cancels an order in the partition that holds it', async () => {
    const r = await cluster();
    const gw = gatewayCaller(r);
    const [c] = idsIn(1, 'amender', 1) as [string];
    expect((await gw('POST', '/v1/deposits', { account: c, asset: 'USDT', amount: '5000' })).status).toBe(
      200,
    );
    expect((await gw('POST', '/v1/prices', { marks: { ETHUSDT: '3000' } })).status).toBe(200);
    const place = { orderId: 'k1', account: c, symbol: 'ETHUSDT', side: 'buy', amount: '1', price: '2900' };
    expect((await gw('POST', '/v1/orders', place)).status).toBe(200);
    const amend = await gw('PATCH', '/v1/orders/k1', { price: '2800', commandId: 'am1' });
    expect(amend.status, JSON.stringify(amend.body)).toBe(200);
    expect((await gw('GET', '/v1/orders/k1')).body).toMatchObject({ orderId: 'k1', price: '2800' });
    const cancel = await gw('DELETE', '/v1/orders/k1?commandId=cx1');
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    expect((await gw('GET', '/v1/orders/k1')).body).toMatchObject({ code: 'UNKNOWN_ORDER' });
  });
});

describe('route dispositions', () => {
  it('sends account routes to the owner, order routes to the holder, and refuses only the listed views', () => {
    expect(dispositionOf({ method: 'get', path: '/v1/accounts/:account' }).kind).toBe('account');
    expect(dispositionOf({ method: 'post', path: '/v1/deposits' }).kind).toBe('account');
    expect(dispositionOf({ method: 'patch', path: '/v1/orders/:orderId' }).kind).toBe('order');
    expect(dispositionOf({ method: 'post', path: '/v1/prices' }).kind).toBe('any');
    expect(dispositionOf({ method: 'get', path: '/v1/accounts' }).kind).toBe('merge');
    expect(dispositionOf({ method: 'get', path: '/v1/state' }).kind).toBe('gather');
    expect(dispositionOf({ method: 'get', path: '/v1/audit' }).kind).toBe('unsupported');
    expect(openApiPath('/v1/orders/:orderId')).toBe('/v1/orders/{orderId}');
  });
});
