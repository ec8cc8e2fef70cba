/**
 * Cross-partition ADL's latency (docs/cluster.md, "ADL and socialized loss across partitions"):
 * one bankruptcy whose position the bankrupt's partition cannot place, deleveraged against
 * `legs` counterparties in the other partition. Two partition workers and the coordinator run in
 * this process on the local NATS JetStream and PostgreSQL (a fresh cluster per round).
 *
 * Timed region: the liquidation command accepted (its worker committed the close to the clearing
 * subaccount) → the coordinator's record says the clearing position is done. Inside: the
 * worker's report (a JetStream publish), the coordinator's rank requests to both partitions, the
 * plan's PostgreSQL rows, per leg two commands (counterparty, then the move off the clearing
 * subaccount: JetStream publish, the worker's batch and commit, the reply, the coordinator's
 * row), and the rest's liquidation (a command and its commit). Not inside: the write-off's cover
 * from the fund that follows.
 *
 *   npx tsx bench/cluster-adl.ts [--legs 8] [--rounds 3]
 */
import { loadavg } from 'node:os';
import { purgeCluster } from '../src/cluster/admin.ts';
import { ClusterClient } from '../src/cluster/client.ts';
import { Coordinator, readCoordinatorLedger } from '../src/cluster/coordinator.ts';
import { clusterNames } from '../src/cluster/names.ts';
import { connectBus } from '../src/cluster/nats.ts';
import { partitionOf } from '../src/cluster/partition.ts';
import { PartitionWorker } from '../src/cluster/worker.ts';

const PG = process.env.PLIMSOLL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.PLIMSOLL_NATS_URL ?? 'nats://127.0.0.1:4222';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const LEGS = arg('legs', 8);
const ROUNDS = arg('rounds', 3);

const CONFIG = {
  settlementAsset: 'USDC',
  assets: [
    { id: 'USDC', decimals: 6 },
    { id: 'BTC', decimals: 8 },
  ],
  markets: [
    {
      id: 'BTC-PERP',
      kind: 'perpetual',
      base: 'BTC',
      stepSize: '0.001',
      tickSize: '0.1',
      margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
      takerFee: '0.0005',
      makerFee: '0.0002',
    },
  ],
};

function inPartition(prefix: string, partition: number): string {
  for (let i = 0; ; i++) if (partitionOf(`${prefix}${i}`, 2) === partition) return `${prefix}${i}`;
}

async function round(n: number): Promise<number> {
  const names = clusterNames(`benchadl${process.pid}r${n}`);
  const backstop = inPartition('backstop', 0);
  const config = { ...CONFIG, backstop: { account: backstop } };
  const workers = await Promise.all(
    [0, 1].map((partition) =>
      PartitionWorker.start({ names, partitions: 2, partition, pgUrl: PG, natsUrl: NATS, config }),
    ),
  );
  const coordinator = await Coordinator.start({
    names,
    partitions: 2,
    pgUrl: PG,
    natsUrl: NATS,
    settlement: { id: 'USDC', decimals: 6 },
  });
  const client = new ClusterClient(await connectBus(NATS), names, 2);
  let id = 0;
  const ok = async (c: Record<string, unknown>) => {
    const r = await client.submit({ ...c, commandId: `c${++id}` });
    if (r.ok !== true) throw new Error(`${JSON.stringify(c)}: ${JSON.stringify(r)}`);
  };
  const until = async (test: () => boolean | Promise<boolean>) => {
    const end = Date.now() + 60_000;
    while (!(await test())) {
      if (Date.now() > end) throw new Error('timed out after 60 s');
      await new Promise((res) => setTimeout(res, 2));
    }
  };
  try {
    let bcast = 0;
    const mark = async (px: string) => {
      await ok({ type: 'prices', timeMs: ++bcast, marks: { 'BTC-PERP': px } });
      await until(() => workers.every((w) => w.status().broadcastHighWater === bcast));
    };
    await mark('60000');
    const alice = inPartition('alice', 0);
    const bob = inPartition('bob', 0);
    const carol = inPartition('carol', 0);
    const grace = inPartition('grace', 1);
    const shorts = Array.from({ length: LEGS }, (_, i) => inPartition(`s${i}x`, 1));
    for (const [who, amount] of [
      [backstop, '100000000'],
      [alice, '10000'],
      [bob, '1000000'],
      [carol, '1000000'],
      [grace, '1000000'],
      ...shorts.map((s) => [s, '10000']),
    ] as [string, string][])
      await ok({ type: 'deposit', to: { account: who }, asset: 'USDC', amount });
    const fill = (buyer: string, seller: string, size: string, price: string) =>
      ok({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: { account: buyer },
        seller: { account: seller },
        size,
        price,
      });
    // alice long 1 BTC @ 60,000 on 10,000 USDC; bob, her seller, closes to carol at 47,000, so at
    // 48,000 alice is bankrupt (9,970 − 12,000) and nobody in partition 0 can take her position
    // (carol's short loses); each short in partition 1 (0.05 @ 60,000) gains
    await fill(alice, bob, '1', '60000');
    for (const s of shorts) await fill(grace, s, '0.05', '60000');
    await mark('47000');
    await fill(bob, carol, '1', '47000');
    await mark('48000');
    await ok({ type: 'liquidate', subaccount: { account: alice } });
    const t0 = performance.now();
    await until(async () => {
      const l = await readCoordinatorLedger(PG, names);
      return l.clearings.length === 1 && l.clearings[0]!.state === 'done';
    });
    const ms = performance.now() - t0;
    const rec = (await readCoordinatorLedger(PG, names)).clearings[0]!;
    if (rec.applied !== BigInt(LEGS) * 50_000_000n) throw new Error(`placed ${rec.applied}`);
    return ms;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await coordinator.stop();
    await client.bus.nc.close();
    await purgeCluster(PG, NATS, names, 2);
  }
}

const times: number[] = [];
const load0 = loadavg()[0]!;
for (let i = 0; i < ROUNDS; i++) times.push(await round(i));
const sorted = [...times].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    legs: LEGS,
    rounds: ROUNDS,
    msEach: times.map((t) => Math.round(t)),
    medianMs: Math.round(sorted[Math.floor(sorted.length / 2)]!),
    load: `${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)}`,
  })}\n`,
);
process.exit(0);
