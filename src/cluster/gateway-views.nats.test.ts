/**
 * The views the gateway gathers from every partition (gateway-merge.ts) answer like the single
 * process: one script of commands — positions in two markets spread over three partitions, price
 * moves, a liquidation, an insurance contribution — is played against the single-process app
 * (in-memory engine, binance-usdm preset) and against a three-partition cluster, and each view is
 * compared with the single process's answer (the reference), minus the documented differences:
 * journal positions and times (one journal per partition), the state hash, the overview's
 * wall-clock samples, and the coordinator's figures the single process does not have.
 * The merges' tie orders and sample carry-forward are checked without NATS on crafted answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freshClusterName, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { getPreset } from '../core/presets/index.ts';
import { harness } from '../server/server.testkit.ts';
import { startTestCluster, stopTestCluster, type TestCluster } from './cluster.testkit.ts';
import { gatewayApp } from './gateway.ts';
import { dispositionOf } from './gateway-api.ts';
import {
  compareDecimals,
  mergeAdlQueue,
  mergeHistory,
  mergeLossLedgers,
  mergeState,
} from './gateway-merge.ts';
import { partitionOf } from './partition.ts';

const READY =
  (await postgresAvailable('the gateway view tests')) && (await natsAvailable('the gateway view tests'));
const N = 3;

const running: TestCluster[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await stopTestCluster(r);
});

/** The first `count` ids `${prefix}N` that live in `partition`. */
function idsIn(partition: number, prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    if (partitionOf(`${prefix}${i}`, N) === partition) out.push(`${prefix}${i}`);
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
type Reply = { status: number; body: any };

/** Two accounts trading against each other in `market` (both in one partition: fills do not cross). */
function pair(long: string, short: string, market: string, size: string, price: string, n: number) {
  return [
    [
      'POST',
      '/v1/fills',
      {
        symbol: market,
        buyer: { account: long },
        seller: { account: short },
        amount: size,
        price,
        commandId: `f${n}`,
      },
    ],
  ] as [string, string, unknown][];
}

describe.runIf(READY)('the gathered views answer like the single process', () => {
  it('state, ADL queue, socialized losses, overview, liquidation map and cascade over three partitions', async () => {
    const r = await startTestCluster({
      name: freshClusterName(),
      partitions: N,
      config: getPreset('binance-usdm')!.config(),
      settlement: { id: 'USDT', decimals: 8 },
      snapshotEvery: 50,
    });
    running.push(r);
    const app = gatewayApp(r.client, { events: { pgUrl: PG_URL } });
    const gw = async (method: string, path: string, body?: unknown): Promise<Reply> => {
      const res = await app.request(path, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    };
    const h = harness();
    const T = Date.now();
    const one = (m: string, p: string, b?: unknown) => h.call('op', m, p, b) as Promise<Reply>;

    // every partition holds BTC positions, two hold ETH; sizes and leverage differ so that the
    // liquidation prices spread over the map's bands and the ADL scores differ
    const [a0, b0, g0, q0] = idsIn(0, 'v', 4) as [string, string, string, string];
    const [c1, d1, e1] = idsIn(1, 'v', 3) as [string, string, string];
    const [k2, l2] = idsIn(2, 'v', 2) as [string, string];
    const deposits: [string, string][] = [
      [a0, '10000'],
      [b0, '1500'],
      [g0, '4000'],
      [c1, '3000'],
      [d1, '20000'],
      [e1, '2500'],
      [k2, '7000'],
      [l2, '2200'],
      [q0, '50000'],
    ];
    const script: [string, string, unknown][] = [
      ...deposits.map(
        ([account, amount], i) =>
          ['POST', '/v1/deposits', { account, asset: 'USDT', amount, commandId: `d${i}` }] as [
            string,
            string,
            unknown,
          ],
      ),
      ['POST', '/v1/prices', { marks: { BTCUSDT: '60000', ETHUSDT: '3000' }, timeMs: T, commandId: 'p1' }],
      ...pair(a0, b0, 'BTCUSDT', '1', '60000', 1),
      ...pair(g0, a0, 'ETHUSDT', '2', '3000', 2),
      ...pair(c1, d1, 'ETHUSDT', '10', '3000', 3),
      ...pair(e1, d1, 'BTCUSDT', '0.4', '59500', 4),
      ...pair(l2, k2, 'BTCUSDT', '0.7', '60100', 5),
      [
        'POST',
        '/v1/insurance-fund/contributions',
        { account: k2, asset: 'USDT', amount: '100', commandId: 'i1' },
      ],
      [
        'POST',
        '/v1/prices',
        { marks: { BTCUSDT: '61300', ETHUSDT: '2950' }, timeMs: T + 1000, commandId: 'p2' },
      ],
      ['POST', '/v1/liquidations', { account: b0, liquidator: { account: q0 }, commandId: 'l1' }],
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
    // the risk snapshots are at most a second old (risk-snapshot.ts): let both be recomputed
    await new Promise((done) => setTimeout(done, 1200));

    // biome-ignore lint/suspicious/noExplicitAny: bodies are compared as plain JSON
    type Strip = (x: any) => unknown;
    const same = async (p: string, strip: Strip = (x) => x) => {
      const x = await one('GET', p);
      const y = await gw('GET', p);
      expect(y.status, `${p}: ${JSON.stringify(y.body).slice(0, 300)}`).toBe(x.status);
      expect(strip(y.body), p).toEqual(strip(x.body));
      return [x.body, y.body];
    };
    const noSeq: Strip = ({ seq, timeMs, computeMs, riskSeq, ...rest }) => rest;

    // ADL queue: ranked across the cluster (longs in profit on BTC sit in every partition); the
    // positions ADL does not take follow in the order the state holds them (by partition here)
    type Entry = { rank: number | null; account: string };
    const unrankedById = (x: { markets?: { long: Entry[]; short: Entry[] }[] }) => {
      const side = (es: Entry[]) => [
        ...es.filter((e) => e.rank !== null),
        ...es.filter((e) => e.rank === null).sort((p, q) => (p.account < q.account ? -1 : 1)),
      ];
      return x.markets
        ? { markets: x.markets.map((m) => ({ ...m, long: side(m.long), short: side(m.short) })) }
        : x;
    };
    const [adl] = await same('/v1/adl-queue', unrankedById);
    const btc = adl.markets.find((m: { market: string }) => m.market === 'BTCUSDT');
    expect(btc.long.filter((e: { rank: number | null }) => e.rank !== null).length).toBeGreaterThanOrEqual(3);
    await same('/v1/adl-queue?symbol=ETHUSDT', unrankedById);
    await same('/v1/adl-queue?symbol=NOPE'); // 404 UNKNOWN_MARKET, from the partitions' own check

    // the liquidation map: additive bands
    const [map] = await same('/v1/risk/liquidation-map', noSeq);
    expect(
      map.markets[0].levels.some((l: { positions: number }) => l.positions > 0),
      'the scenario puts liquidation prices in the bands',
    ).toBe(true);
    await same('/v1/risk/liquidation-map?symbol=BTCUSDT&stepPct=0.5&steps=60', noSeq);

    // the cascade: the first round summed, the rounds after it over the union of the positions
    for (const q of ['movePct=-8', 'movePct=12', 'movePct=-30&depthPerPct=0.5', 'movePct=5']) {
      const [x] = await same(`/v1/risk/cascade?symbol=BTCUSDT&${q}`, noSeq);
      if (q === 'movePct=-30&depthPerPct=0.5') expect(x.afterCascade.positions).toBeGreaterThan(0);
    }
    await same('/v1/risk/cascade?symbol=ETHUSDT&movePct=-20', noSeq);
    await same('/v1/risk/cascade?symbol=NOPE&movePct=-20');

    // socialized losses: the partitions' ledgers and flows summed; the coordinator's fund beside
    const noCoordinator: Strip = ({ coordinator, ...rest }) => rest;
    const [, losses] = await same('/v1/socialized-losses', noCoordinator);
    expect(losses.coordinator).toEqual({
      fundBalance: '0',
      funded: '0',
      paidFromFund: '0',
      adlClearingsOpen: 0,
    });
    const fund = await gw('POST', '/v1/cluster/insurance-fund', { units: '12345000000', commandId: 'cf1' });
    expect(fund.status, JSON.stringify(fund.body)).toBe(200);
    await new Promise((done) => setTimeout(done, 1100)); // the gateway reads the ledger once a second
    expect((await gw('GET', '/v1/socialized-losses')).body.coordinator).toMatchObject({
      fundBalance: '123.45',
      funded: '123.45',
    });

    // the overview: everything but the journal positions and the wall-clock samples
    // (the liquidation counts per minute of engine time are compared through their totals)
    const overview: Strip = ({ seq, timeMs, riskSeq, cursor, coordinator, history, ...rest }) => rest;
    const [, ov] = await same('/v1/dashboard/overview', overview);
    expect(ov.coordinator.fundBalance).toBe('123.45');
    expect(ov.history.samples.length).toBeGreaterThan(0);

    // the state: the sum of the positions, each partition's hash as GET /v1/cluster/status has it
    const state = (await gw('GET', '/v1/state')).body;
    const status = (await gw('GET', '/v1/cluster/status')).body;
    expect(state.partitions.map((p: { stateHash: string }) => p.stateHash)).toEqual(
      status.partitions.map((p: { stateHash: string }) => p.stateHash),
    );
    expect(state.seq).toBe(status.partitions.reduce((t: number, p: { seq: number }) => t + p.seq, 0));
    expect(state.stateHash).toMatch(/^[0-9a-f]{64}$/);
    await gw('POST', '/v1/prices', { marks: { BTCUSDT: '61200' }, timeMs: T + 2000, commandId: 'p3' });
    expect((await gw('GET', '/v1/state')).body.stateHash).not.toBe(state.stateHash);

    // the risk console is served by the gateway as by `plimsoll serve`
    const page = await app.request('/dashboard/');
    expect([200, 404]).toContain(page.status);
    if (page.status === 200) expect(await page.text()).toContain('<html');
  });
});

describe('gathered views (no NATS)', () => {
  it('are dispositions of their own, the audit trail alone still refused', () => {
    for (const p of [
      '/v1/state',
      '/v1/adl-queue',
      '/v1/socialized-losses',
      '/v1/dashboard/overview',
      '/v1/risk/liquidation-map',
      '/v1/risk/cascade',
    ])
      expect(dispositionOf({ method: 'get', path: p }).kind, p).toBe('gather');
  });

  it('compares decimals exactly (a float comparison would call these equal)', () => {
    expect(compareDecimals('1.000000000000000001', '1')).toBe(1);
    expect(compareDecimals('-0.5', '-0.50')).toBe(0);
    expect(compareDecimals('9007199254740993', '9007199254740992')).toBe(1);
  });

  it('ranks the ADL queue across partitions by score, re-numbers ranks and indicators, unranked last', () => {
    const e = (account: string, score: string | null) => ({
      rank: score === null ? null : 1,
      indicator: score === null ? 0 : 5,
      account,
      sub: '0',
      size: '1',
      unrealizedPnl: '1',
      score,
    });
    const m = (long: ReturnType<typeof e>[]) => ({
      markets: [{ market: 'X', ranking: 'pnl', long, short: [] }],
    });
    const merged = mergeAdlQueue([
      m([e('p0a', '5'), e('p0b', '2.000000000001'), e('p0z', null)]),
      m([e('p1a', '7'), e('p1b', '2')]),
      m([e('p2a', '2.000000000001')]),
    ]).markets[0]!.long;
    expect(merged.map((x) => [x.account, x.rank, x.indicator])).toEqual([
      ['p1a', 1, 5],
      ['p0a', 2, 4],
      ['p0b', 3, 3], // equal scores: partition order
      ['p2a', 4, 2],
      ['p1b', 5, 1],
      ['p0z', null, 0],
    ]);
  });

  it('orders socialized losses by engine time and names the partition', () => {
    const l = (entries: { seq: number; timeMs: number | null }[], total: string) => ({
      entries,
      ledgerTotal: total,
      fundingIndexTotal: '0',
      insurance: { USDT: { inflows: { fee: '0.1' }, outflows: {} } },
    });
    const merged = mergeLossLedgers([
      l([{ seq: 9, timeMs: 300 }], '1.5'),
      l(
        [
          { seq: 4, timeMs: 100 },
          { seq: 5, timeMs: 300 },
        ],
        '0.25',
      ),
    ]);
    expect(merged.entries.map((x) => [x.partition, x.seq])).toEqual([
      [1, 4],
      [0, 9],
      [1, 5],
    ]);
    expect(merged.ledgerTotal).toBe('1.75');
    expect(merged.insurance.USDT!.inflows.fee).toBe('0.2');
  });

  it('merges chart samples at every partition moment, each partition carried forward', () => {
    const s = (t: number, seq: number, oi: number) => ({
      t,
      seq,
      insurance: { USDT: 1 },
      insuranceValue: 1,
      socializedLoss: 0,
      markets: { X: { mark: t, index: null, openInterest: oi } },
    });
    const minute = (t: number, full: number) => ({
      t,
      counts: { partial: 0, full, bankrupt: 0, backstop: 0, adl: 0 },
      notional: full,
    });
    const h = mergeHistory([
      { samples: [s(10, 1, 2), s(30, 3, 5)], minutes: [minute(0, 1)] },
      { samples: [s(20, 7, 1)], minutes: [minute(0, 2), minute(60_000, 1)] },
    ]);
    expect(
      h.samples.map((x) => [x.t, x.seq, x.markets.X!.openInterest, x.markets.X!.mark, x.insurance.USDT]),
    ).toEqual([
      [10, 1, 2, 10, 1],
      [20, 8, 3, 20, 2],
      [30, 10, 6, 30, 2],
    ]);
    expect(h.minutes.map((m) => [m.t, m.counts.full])).toEqual([
      [0, 3],
      [60_000, 1],
    ]);
  });

  it('hashes the state over every partition in order', () => {
    const a = mergeState([
      { seq: 1, timeMs: 5, stateHash: 'aa' },
      { seq: 2, timeMs: 9, stateHash: 'bb' },
    ]);
    const b = mergeState([
      { seq: 2, timeMs: 9, stateHash: 'bb' },
      { seq: 1, timeMs: 5, stateHash: 'aa' },
    ]);
    expect([a.seq, a.timeMs]).toEqual([3, 9]);
    expect(a.stateHash).not.toBe(b.stateHash);
  });
});
