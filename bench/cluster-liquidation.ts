/**
 * End-to-end liquidation latency, cluster vs single process (bench/cluster.ts, figure 4).
 *
 * Timed region, both: from the price command accepted (its submit resolved: committed and
 * answered) to the liquidation_started events visible where a client sees them.
 * - Cluster (2 workers, coordinator: child processes; the gateway in this process): the crash is
 *   submitted as a broadcast through JetStream (answered by partition 0 after its commit). A keeper
 *   on the gateway's merged WebSocket stream tracks position holders from `traded` events; on a
 *   partition's `prices_updated` it reads each of that partition's holders
 *   (GET /v1/accounts/:account/subaccounts/0) and POSTs /v1/liquidations for the liquidatable ones
 *   (through the gateway, JetStream and the partition's commit); the figure is when the stream
 *   shows their liquidation_started (the stream polls the journals every 20 ms). The gateway runs
 *   with an API key, as the CLI runs it: the keeper's requests and handshake are signed and
 *   verified (rate limit raised out of the way).
 * - Single process (`startService`, SQLite store, the built-in keeper in execute mode): the crash
 *   goes through the command sink; the figure is when the event hub (which feeds the WebSocket)
 *   hands out the liquidation_started events.
 */

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { purgeCluster } from '../src/cluster/admin.ts';
import { ClusterClient } from '../src/cluster/client.ts';
import { listenGateway } from '../src/cluster/gateway.ts';
import { clusterNames } from '../src/cluster/names.ts';
import { connectBus } from '../src/cluster/nats.ts';
import { partitionOf } from '../src/cluster/partition.ts';
import { superviseCluster } from '../src/cluster/supervisor.ts';
import { getPreset } from '../src/core/presets/index.ts';
import { signedHeaders } from '../src/server/auth.ts';
import { createLogger } from '../src/server/log.ts';
import { startService } from '../src/server/service.ts';

export interface LatencyFigure {
  label: string;
  rounds: number;
  candidates: number;
  firstMedianMs: number;
  firstMinMs: number;
  firstMaxMs: number;
  allMedianMs: number;
  allMinMs: number;
  allMaxMs: number;
  load: string;
}

const PER_PARTITION = 4;
const WORKERS = 2;

function idsIn(partition: number, prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    if (partitionOf(`${prefix}${i}`, WORKERS) === partition) out.push(`${prefix}${i}`);
  return out;
}

function figure(
  label: string,
  first: number[],
  all: number[],
  candidates: number,
  load0: number,
): LatencyFigure {
  const med = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)]!;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    label,
    rounds: first.length,
    candidates,
    firstMedianMs: r(med(first)),
    firstMinMs: r(Math.min(...first)),
    firstMaxMs: r(Math.max(...first)),
    allMedianMs: r(med(all)),
    allMinMs: r(Math.min(...all)),
    allMaxMs: r(Math.max(...all)),
    load: [load0, loadavg()[0]!].map((x) => x.toFixed(1)).join('→'),
  };
}

export async function liquidationLatency(o: {
  pgUrl: string;
  natsUrl: string;
  dir: string;
  rounds: number;
}): Promise<LatencyFigure[]> {
  return [await clusterLatency(o), await singleLatency(o)];
}

async function clusterLatency(o: { pgUrl: string; natsUrl: string; dir: string; rounds: number }) {
  const configFile = join(o.dir, 'binance.json');
  writeFileSync(configFile, JSON.stringify(getPreset('binance-usdm')!.config()));
  const names = clusterNames(`benchliq${process.pid}`);
  const cluster = superviseCluster({
    name: names.name,
    workers: WORKERS,
    configFile,
    pgUrl: o.pgUrl,
    natsUrl: o.natsUrl,
  });
  await cluster.ready;
  const client = new ClusterClient(await connectBus(o.natsUrl), names, WORKERS);
  // the gateway as the CLI runs it, with API keys: every request below is signed (HMAC) and verified
  const op = { id: 'bench-op', secret: randomBytes(32).toString('hex'), scopes: ['operator' as const] };
  const gw = await listenGateway(
    client,
    { host: '127.0.0.1', port: 0 },
    { events: { pgUrl: o.pgUrl }, auth: { keys: [op], rateLimit: { ratePerSec: 1e9, burst: 1e9 } } },
  );
  const ws = new WebSocket(`${gw.url.replace('http', 'ws')}/v1/events`, {
    headers: signedHeaders(op, 'GET', '/v1/events', ''),
  });
  await new Promise((r) => ws.once('open', r));
  const post = async (path: string, body: unknown) => {
    const text = JSON.stringify(body);
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedHeaders(op, 'POST', path, text) },
      body: text,
    });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const keepers = Array.from({ length: WORKERS }, (_, p) => idsIn(p, 'keeper', 1)[0]!);
  const holders = new Set<string>();
  let armed = new Set<number>();
  let seen: number[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { op: string; partition?: number; event?: Record<string, string> };
    if (m.op !== 'event' || m.partition === undefined || !m.event) return;
    const e = m.event;
    if (e.type === 'traded') for (const s of [e.buyer!, e.seller!]) holders.add(s.split('/')[0]!);
    if (e.type === 'liquidation_started') seen.push(performance.now());
    if (e.type === 'prices_updated' && armed.has(m.partition)) {
      armed.delete(m.partition);
      const p = m.partition;
      void (async () => {
        const mine = [...holders].filter((a) => partitionOf(a, WORKERS) === p && a !== keepers[p]);
        await Promise.all(
          mine.map(async (a) => {
            const path = `/v1/accounts/${a}/subaccounts/0`;
            const s = (await (
              await fetch(`${gw.url}${path}`, { headers: signedHeaders(op, 'GET', path, '') })
            ).json()) as {
              cross?: { liquidatable?: boolean };
            };
            if (s.cross?.liquidatable)
              await post('/v1/liquidations', { account: a, liquidator: { account: keepers[p] } }).catch(
                () => {},
              );
          }),
        );
      })();
    }
  });
  ws.send(JSON.stringify({ op: 'subscribe' }));
  const load0 = loadavg()[0]!;
  const first: number[] = [];
  const all: number[] = [];
  try {
    for (const k of keepers) await post('/v1/deposits', { account: k, asset: 'USDT', amount: '10000000' });
    for (let round = 0; round < o.rounds; round++) {
      await post('/v1/prices', { marks: { BTCUSDT: '60000' } });
      for (let p = 0; p < WORKERS; p++) {
        const [short, ...longs] = idsIn(p, `r${round}x`, PER_PARTITION + 1);
        await post('/v1/deposits', { account: short!, asset: 'USDT', amount: '1000000' });
        for (const long of longs) {
          await post('/v1/deposits', { account: long, asset: 'USDT', amount: '1000' });
          await post('/v1/fills', {
            symbol: 'BTCUSDT',
            buyer: { account: long },
            seller: { account: short! },
            amount: '1',
            price: '60000',
          });
        }
      }
      await new Promise((r) => setTimeout(r, 200)); // the stream has shown the trades
      seen = [];
      armed = new Set(Array.from({ length: WORKERS }, (_, p) => p));
      const r = await client.submit({
        type: 'prices',
        timeMs: Date.now(),
        marks: { BTCUSDT: '59000' },
        assets: {},
        exchangeRates: {},
      });
      const accepted = performance.now();
      if (r.ok !== true) throw new Error(`crash: ${JSON.stringify(r)}`);
      const want = WORKERS * PER_PARTITION;
      const end = Date.now() + 20_000;
      while (seen.length < want && Date.now() < end) await new Promise((res) => setTimeout(res, 2));
      if (seen.length < want)
        throw new Error(`cluster round ${round}: ${seen.length}/${want} liquidations seen`);
      first.push(Math.min(...seen) - accepted);
      all.push(Math.max(...seen) - accepted);
    }
    return figure('cluster (2 workers, gateway stream)', first, all, WORKERS * PER_PARTITION, load0);
  } finally {
    ws.close();
    await gw.close();
    await client.bus.nc.close();
    await cluster.stop();
    await purgeCluster(o.pgUrl, o.natsUrl, names, WORKERS);
  }
}

async function singleLatency(o: { dir: string; rounds: number }) {
  const svc = await startService({
    store: join(o.dir, 'single.sqlite'),
    preset: 'binance-usdm',
    host: '127.0.0.1',
    port: 0,
    keeper: 'execute',
    liquidator: 'keeper',
    logger: createLogger({ level: 'silent' }),
    dashboardDir: false,
  });
  let seen: number[] = [];
  const stop = svc.live.hub.subscribe(
    {
      send: (text) => {
        if (text.includes('"type":"liquidation_started"')) seen.push(performance.now());
      },
      bufferedAmount: () => 0,
      close: () => {},
    },
    { viewer: { operator: true } },
  );
  const run = async (c: Record<string, unknown>) => {
    const r = await svc.sink.submit(c);
    if (!r.ok) throw new Error(`${String(c.type)}: ${JSON.stringify(r.rejection)}`);
  };
  const load0 = loadavg()[0]!;
  const first: number[] = [];
  const all: number[] = [];
  try {
    await run({ type: 'deposit', to: { account: 'keeper', sub: '0' }, asset: 'USDT', amount: '10000000' });
    for (let round = 0; round < o.rounds; round++) {
      await run({
        type: 'prices',
        timeMs: Date.now(),
        marks: { BTCUSDT: '60000' },
        assets: {},
        exchangeRates: {},
      });
      const short = `r${round}short`;
      await run({ type: 'deposit', to: { account: short, sub: '0' }, asset: 'USDT', amount: '1000000' });
      for (let i = 0; i < WORKERS * PER_PARTITION; i++) {
        const long = `r${round}long${i}`;
        await run({ type: 'deposit', to: { account: long, sub: '0' }, asset: 'USDT', amount: '1000' });
        await run({
          type: 'fill',
          market: 'BTCUSDT',
          buyer: { account: long, sub: '0' },
          seller: { account: short, sub: '0' },
          size: '1',
          price: '60000',
          taker: 'buyer',
        });
      }
      seen = [];
      await run({
        type: 'prices',
        timeMs: Date.now(),
        marks: { BTCUSDT: '59000' },
        assets: {},
        exchangeRates: {},
      });
      const accepted = performance.now();
      const want = WORKERS * PER_PARTITION;
      const end = Date.now() + 20_000;
      while (seen.length < want && Date.now() < end) await new Promise((res) => setTimeout(res, 1));
      if (seen.length < want)
        throw new Error(`single round ${round}: ${seen.length}/${want} liquidations seen`);
      // events committed before the submit resolved count as 0 ms
      first.push(Math.max(0, Math.min(...seen) - accepted));
      all.push(Math.max(0, Math.max(...seen) - accepted));
    }
    return figure(
      'single process (plimsoll serve, SQLite, keeper execute)',
      first,
      all,
      WORKERS * PER_PARTITION,
      load0,
    );
  } finally {
    stop();
    await svc.close();
  }
}
