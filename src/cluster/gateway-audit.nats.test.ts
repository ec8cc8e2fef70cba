/**
 * The gateway's audit trail (gateway-audit.ts) records what the single process records: one script
 * of operator changes — assets, a market, the policy, pausing, safe mode, an engine refusal, a
 * replay, a validation error — is played against the single-process app (the reference) and a
 * two-partition cluster, and GET /v1/audit answers the same records, minus the documented
 * differences: the wall-clock time and `seq` (partition 0's journal, not the single process's).
 * The trail is in the cluster's PostgreSQL: a new gateway (a restart) answers the same records.
 * The key id is the one the request carries (the Hono variable `keyId`, set by the single process's
 * auth and here by a stand-in middleware).
 */
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { freshClusterName, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { getPreset } from '../core/presets/index.ts';
import { harness, seeded } from '../server/server.testkit.ts';
import { startTestCluster, stopTestCluster, type TestCluster } from './cluster.testkit.ts';
import { mountSingleProcessApi } from './gateway-api.ts';

const READY =
  (await postgresAvailable('the gateway audit tests')) && (await natsAvailable('the gateway audit tests'));

const running: TestCluster[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await stopTestCluster(r);
});

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
type Reply = { status: number; body: any };

/** A gateway whose requests carry the key id in `x-key` (what the gateway's auth will set). */
function gateway(r: TestCluster) {
  const app = new Hono();
  app.use(async (c, next) => {
    const k = c.req.header('x-key');
    if (k !== undefined) c.set('keyId' as never, k as never);
    await next();
  });
  mountSingleProcessApi(app, r.client, { waitMs: 10_000, pgUrl: PG_URL, dashboardDir: false });
  return async (method: string, path: string, body?: unknown): Promise<Reply> => {
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', 'x-key': 'op' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
}

/** A record without the documented differences. */
const comparable = ({ timeMs: _t, seq: _s, ...rest }: Record<string, unknown>) => rest;

describe.runIf(READY)('the gateway audit trail', () => {
  it('records the same operator changes as the single process, and keeps them across a restart', async () => {
    const r = await startTestCluster({
      name: freshClusterName(),
      partitions: 2,
      config: getPreset('binance-usdm')!.config(),
      settlement: { id: 'USDT', decimals: 8 },
    });
    running.push(r);
    const gw = gateway(r);
    const h = harness();
    await seeded(h);
    // operator input form: the preset's own market and policy, changed
    const preset = getPreset('binance-usdm')!.config() as {
      markets: Record<string, unknown>[];
      liquidation: Record<string, unknown>;
    };
    const btc = { ...preset.markets.find((m) => m.id === 'BTCUSDT'), takerFee: '0.0007' };
    const policy = { ...preset.liquidation, penalty: { kind: 'to_bankruptcy', closeAll: false } };

    const script: [string, string, unknown][] = [
      [
        'PUT',
        '/v1/assets/BTC',
        { config: { decimals: 8, initialWeight: '0.9', maintenanceWeight: '0.95' }, commandId: 'a1' },
      ],
      [
        'PUT',
        '/v1/assets/BTC',
        { config: { decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' }, commandId: 'a2' },
      ],
      // the same command id again: replayed, not recorded twice
      [
        'PUT',
        '/v1/assets/BTC',
        { config: { decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' }, commandId: 'a2' },
      ],
      ['PUT', '/v1/assets/ETH', { config: { decimals: 99 } }],
      ['PUT', '/v1/markets/BTCUSDT', { config: btc, commandId: 'm1' }],
      ['PUT', '/v1/policy', { liquidation: policy, commandId: 'pol1' }],
      ['PUT', '/v1/markets/BTCUSDT/liquidations', { paused: true, commandId: 'pa1' }],
      // refused by the engine in every partition: no record claims it
      ['PUT', '/v1/markets/NOPEUSDT/liquidations', { paused: true, commandId: 'pa2' }],
      ['PUT', '/v1/markets/BTCUSDT/safe-mode', { forced: true, commandId: 's1' }],
      ['PUT', '/v1/markets/BTCUSDT/liquidations', { paused: false, commandId: 'pa3' }],
    ];
    const t0 = Date.now();
    for (const [m, p, body] of script) {
      const x = (await h.call('op', m, p, body)) as Reply;
      const y = await gw(m, p, body);
      const where = `${m} ${p} ${JSON.stringify(body).slice(0, 80)}: single ${x.status} ${JSON.stringify(x.body).slice(0, 200)} cluster ${y.status} ${JSON.stringify(y.body).slice(0, 200)}`;
      // a repeated broadcast id is dropped by JetStream: the gateway answers 202 (durable, applied once)
      if (x.body.replayed) expect([y.status, y.body.duplicate], where).toEqual([202, true]);
      else expect(y.status, where).toBe(x.status);
      if (x.status !== 200) expect(y.body.code, where).toBe(x.body.code);
    }
    const t1 = Date.now();

    const single = (await h.call('op', 'GET', '/v1/audit')).body.records as Record<string, unknown>[];
    const cluster = (await gw('GET', '/v1/audit')).body.records as Record<string, unknown>[];
    expect(single.map((x) => x.command)).toEqual([
      'set_asset',
      'set_asset',
      'set_market',
      'set_policy',
      'pause_liquidations',
      'force_safe_mode',
      'pause_liquidations',
    ]);
    expect(cluster.map(comparable)).toEqual(single.map(comparable));
    for (const x of cluster) {
      expect(x.keyId).toBe('op');
      expect(x.timeMs as number).toBeGreaterThanOrEqual(t0);
      expect(x.timeMs as number).toBeLessThanOrEqual(t1);
      expect(Number.isInteger(x.seq) && (x.seq as number) > 0).toBe(true);
    }
    expect(cluster[1]).toMatchObject({
      before: { initialWeight: '900000' },
      after: { initialWeight: '800000' },
    });

    // limit and its validation: the single process's
    const last2 = (await gw('GET', '/v1/audit?limit=2')).body.records;
    expect(last2.map(comparable)).toEqual(single.slice(-2).map(comparable));
    const bad = await gw('GET', '/v1/audit?limit=x');
    const badSingle = (await h.call('op', 'GET', '/v1/audit?limit=x')) as Reply;
    expect([bad.status, bad.body.code]).toEqual([badSingle.status, badSingle.body.code]);

    // a restarted gateway reads the same trail from PostgreSQL
    const again = gateway(r);
    expect((await again('GET', '/v1/audit')).body.records).toEqual(cluster);
  });
});
