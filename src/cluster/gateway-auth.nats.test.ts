/**
 * The gateway with API keys refuses what the single process refuses, with the same typed errors:
 * every case is sent to the single-process app (the server's test harness, same keys) and to a
 * two-partition cluster's gateway, and the answers' status and code (and, for the checks that
 * run before a handler, the message) must be equal — the single process is the reference. A
 * refused command leaves every partition's state hash unchanged. The cluster-only routes take an
 * operator key, and the merged event stream's handshake an operator's signature.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freshClusterName, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { getPreset } from '../core/presets/index.ts';
import { type ApiKey, signedHeaders } from '../server/auth.ts';
import { type Harness, harness, KEYS, key } from '../server/server.testkit.ts';
import { startTestCluster, stopTestCluster, type TestCluster } from './cluster.testkit.ts';
import { gatewayApp, listenGateway } from './gateway.ts';

const READY =
  (await postgresAvailable('the gateway auth tests')) && (await natsAvailable('the gateway auth tests'));

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
type Reply = { status: number; body: any };
type Send = (path: string, init: RequestInit) => Promise<Response>;

/** A request signed by `k` (or unsigned), optionally tampered with after signing. */
function headersFor(
  k: Pick<ApiKey, 'id' | 'secret'> | undefined,
  method: string,
  path: string,
  text: string,
  opts: { now?: number; nonce?: string; signedBody?: string } = {},
): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (k === undefined) return h;
  return { ...h, ...signedHeaders(k, method, path, opts.signedBody ?? text, opts.now, opts.nonce) };
}

async function send(to: Send, method: string, path: string, body: unknown, headers: Record<string, string>) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const res = await to(path, { method, headers, ...(method === 'GET' ? {} : { body: text }) });
  const raw = await res.text();
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {}
  return { status: res.status, body: parsed } as Reply;
}

describe.runIf(READY)('gateway API keys, as the single process checks them', () => {
  let c: TestCluster;
  let single: Harness;
  let gw: Send;
  const both = async (
    k: Pick<ApiKey, 'id' | 'secret'> | undefined,
    method: string,
    path: string,
    body?: unknown,
    opts: { now?: number; nonce?: string; signedBody?: string } = {},
  ): Promise<[Reply, Reply]> => {
    const text = body === undefined ? '' : JSON.stringify(body);
    // each side gets its own nonce unless the case fixes one (a replay is per server)
    const h = headersFor(k, method, path, text, opts);
    const s = await send((p, i) => Promise.resolve(single.app.request(p, i)), method, path, body, h);
    const g = await send(gw, method, path, body, h);
    return [s, g];
  };
  const hashes = async () =>
    Promise.all([0, 1].map((p) => c.client.query(p).then((q) => q.status.stateHash)));

  beforeAll(async () => {
    c = await startTestCluster({
      name: freshClusterName(),
      partitions: 2,
      config: getPreset('binance-usdm')!.config(),
      settlement: { id: 'USDT', decimals: 8 },
    });
    single = harness();
    const app = gatewayApp(c.client, { auth: { keys: KEYS } });
    gw = (p, i) => Promise.resolve(app.request(p, i));
    const [s, g] = await both(key('op'), 'POST', '/v1/deposits', {
      account: 'alice',
      asset: 'USDT',
      amount: '1000',
      commandId: 'auth-d1',
    });
    expect([s.status, g.status]).toEqual([200, 200]);
  }, 60_000);
  afterAll(async () => {
    if (c) await stopTestCluster(c);
  });

  const sameRefusal = ([s, g]: [Reply, Reply], status: number, code: string, sameMessage = true) => {
    expect({ status: g.status, code: g.body.code }).toEqual({ status: s.status, code: s.body.code });
    expect({ status: s.status, code: s.body.code }).toEqual({ status, code });
    if (sameMessage) expect(g.body.message).toBe(s.body.message);
  };

  it('refuses unsigned, unknown-key, badly signed, stale and replayed requests (401) and changes nothing', async () => {
    const before = await hashes();
    const dep = { account: 'alice', asset: 'USDT', amount: '5', commandId: 'auth-x' };
    sameRefusal(await both(undefined, 'GET', '/v1/accounts/alice'), 401, 'UNAUTHENTICATED');
    sameRefusal(await both(undefined, 'POST', '/v1/deposits', dep), 401, 'UNAUTHENTICATED');
    sameRefusal(
      await both({ id: 'nobody', secret: 'y'.repeat(64) }, 'POST', '/v1/deposits', dep),
      401,
      'UNKNOWN_KEY',
    );
    // signed for 5, sent with 500: the signature covers the body
    sameRefusal(
      await both(
        key('op'),
        'POST',
        '/v1/deposits',
        { ...dep, amount: '500' },
        { signedBody: JSON.stringify(dep) },
      ),
      401,
      'BAD_SIGNATURE',
    );
    // the stale message carries the server time in details; the code and status must agree
    sameRefusal(
      await both(key('op'), 'POST', '/v1/deposits', dep, { now: Date.now() - 60_000 }),
      401,
      'STALE_REQUEST',
      false,
    );
    // the same signed request twice, to each server: the second is a replay
    const nonce = `n${Date.now()}abc`;
    const first = await both(key('op'), 'GET', '/v1/accounts/alice', undefined, { nonce });
    expect([first[0].status, first[1].status]).toEqual([200, 200]);
    sameRefusal(
      await both(key('op'), 'GET', '/v1/accounts/alice', undefined, { nonce }),
      401,
      'REPLAYED_REQUEST',
    );
    expect(await hashes()).toEqual(before);
  }, 60_000);

  it("refuses a key without the route's scope, or a trader on another account (403), and changes nothing", async () => {
    const before = await hashes();
    const dep = { account: 'alice', asset: 'USDT', amount: '5', commandId: 'auth-y' };
    sameRefusal(await both(key('feed'), 'POST', '/v1/deposits', dep), 403, 'FORBIDDEN');
    sameRefusal(
      await both(key('alice'), 'POST', '/v1/prices', { marks: { BTCUSDT: '1' } }),
      403,
      'FORBIDDEN',
    );
    // scope held, account not on the key: the handler's own check, run in bob's partition
    sameRefusal(await both(key('alice'), 'GET', '/v1/accounts/bob'), 403, 'FORBIDDEN');
    sameRefusal(
      await both(key('alice'), 'POST', '/v1/withdrawals', {
        account: 'bob',
        asset: 'USDT',
        amount: '1',
        commandId: 'auth-w',
      }),
      403,
      'FORBIDDEN',
    );
    expect(await hashes()).toEqual(before);
    // the same key on its own account: answered by both, equally
    const [s, g] = await both(key('alice'), 'GET', '/v1/accounts/alice');
    expect(g.status).toBe(200);
    expect(g.body.account).toBe(s.body.account);
    // a public route needs no key
    const [hs, hg] = await both(undefined, 'GET', '/healthz');
    expect([hs.status, hg.status]).toEqual([200, 200]);
  }, 60_000);

  it("an operator change is audited under the signing key's id, as the single process records it", async () => {
    const [s, g] = await both(key('op'), 'PUT', '/v1/markets/BTCUSDT/liquidations', {
      paused: true,
      commandId: 'audit-key-1',
    });
    expect(s.status).toBe(200);
    expect([200, 202]).toContain(g.status);
    const [sa, ga] = await both(key('op'), 'GET', '/v1/audit');
    const last = (r: Reply) => r.body.records.at(-1);
    expect(last(sa)).toMatchObject({ keyId: 'op', command: 'pause_liquidations' });
    expect(last(ga)).toMatchObject({ keyId: 'op', command: 'pause_liquidations' });
  });

  it('the cluster-only routes take an operator key', async () => {
    const status = (k: ApiKey | undefined) =>
      send(gw, 'GET', '/v1/cluster/status', undefined, headersFor(k, 'GET', '/v1/cluster/status', ''));
    expect((await status(undefined)).body.code).toBe('UNAUTHENTICATED');
    const trader = await status(key('alice'));
    expect([trader.status, trader.body.code]).toEqual([403, 'FORBIDDEN']);
    expect((await status(key('op'))).status).toBe(200);
    const path = '/v1/cluster/insurance-fund';
    const body = { units: '1', commandId: 'auth-f1' };
    const text = JSON.stringify(body);
    const byVenue = await send(gw, 'POST', path, body, headersFor(key('venue'), 'POST', path, text));
    expect([byVenue.status, byVenue.body.code]).toEqual([403, 'FORBIDDEN']);
    const byOp = await send(gw, 'POST', path, body, headersFor(key('op'), 'POST', path, text));
    expect(byOp.status).toBe(200);
  }, 60_000);

  it("the merged event stream's handshake: an operator's signature is let in, none or a trader's refused", async () => {
    const running = await listenGateway(
      c.client,
      { host: '127.0.0.1', port: 0 },
      { auth: { keys: KEYS }, events: { pgUrl: PG_URL } },
    );
    const open = (k: ApiKey | undefined) =>
      new Promise<string>((resolve) => {
        const path = '/v1/events?since=0';
        const ws = new WebSocket(`${running.url.replace(/^http/, 'ws')}${path}`, {
          headers: k === undefined ? {} : signedHeaders(k, 'GET', path, ''),
        });
        ws.once('message', (m) => {
          resolve(JSON.parse(String(m)).op);
          ws.close();
        });
        ws.once('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
        ws.once('error', () => resolve('error'));
      });
    try {
      expect(await open(undefined)).toBe('http 401');
      expect(await open(key('alice'))).toBe('http 401');
      expect(await open(key('op'))).toBe('subscribed');
    } finally {
      await running.close();
    }
  }, 60_000);
});
