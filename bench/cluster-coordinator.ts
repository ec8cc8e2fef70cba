/**
 * The coordinator's capacity (bench/cluster.ts, figure 5; the input of docs/cluster.md's scaling
 * estimate): shortfall requests per second it answers. The coordinator runs in this process with
 * 32 partitions configured; `requests` shortfall messages (partition i mod 32, each a new
 * cumulative total, so every one is a real payment decision) are published `inFlight` at a time
 * (default 64), each batch awaited before the next. Timed region: first publish → last answer:
 * JetStream publish and persist, delivery, one PostgreSQL transaction per round of waiting
 * requests (read the fund, the partitions' last answers and any recorded answer, pay
 * min(fund, new − old) for each in order, record them), each cover's publish to its partition's
 * stream, the acks and the replies. No partition workers run: the covers stay in the stream.
 */
import { loadavg } from 'node:os';
import { purgeCluster } from '../src/cluster/admin.ts';
import { ClusterClient } from '../src/cluster/client.ts';
import { Coordinator } from '../src/cluster/coordinator.ts';
import { clusterNames } from '../src/cluster/names.ts';
import { connectBus } from '../src/cluster/nats.ts';

export interface CoordinatorFigure {
  requests: number;
  inFlight: number;
  partitions: number;
  perSecond: number;
  totalMs: number;
  load: string;
}

export async function coordinatorCapacity(o: {
  pgUrl: string;
  natsUrl: string;
  requests: number;
  inFlight?: number;
}): Promise<CoordinatorFigure> {
  const inFlight = o.inFlight ?? 64;
  const P = 32;
  const names = clusterNames(`benchco${process.pid}`);
  const coordinator = await Coordinator.start({
    names,
    partitions: P,
    pgUrl: o.pgUrl,
    natsUrl: o.natsUrl,
    settlement: { id: 'USDT', decimals: 8 },
  });
  const client = new ClusterClient(await connectBus(o.natsUrl), names, P);
  try {
    const funded = await client.coordinator(
      { type: 'fund', id: 'seed', amount: String(10n ** 30n) },
      'f:seed',
    );
    if (funded.ok !== true) throw new Error(`fund: ${JSON.stringify(funded)}`);
    const load0 = loadavg()[0]!;
    const totals = new Array<number>(P).fill(0);
    const t0 = performance.now();
    for (let i = 0; i < o.requests; i += inFlight) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(o.requests, i + inFlight); j++) {
        const p = j % P;
        totals[p]! += 1000;
        const total = String(totals[p]);
        batch.push(
          client
            .coordinator({ type: 'shortfall', partition: p, total }, `shortfall:${p}:${total}`)
            .then((r) => {
              if (r.ok !== true) throw new Error(`shortfall ${p} ${total}: ${JSON.stringify(r)}`);
            }),
        );
      }
      await Promise.all(batch);
    }
    const ms = performance.now() - t0;
    return {
      requests: o.requests,
      inFlight,
      partitions: P,
      perSecond: Math.round(o.requests / (ms / 1000)),
      totalMs: Math.round(ms),
      load: [load0, loadavg()[0]!].map((x) => x.toFixed(1)).join('→'),
    };
  } finally {
    await client.bus.nc.close();
    await coordinator.stop();
    await purgeCluster(o.pgUrl, o.natsUrl, names, P);
  }
}
