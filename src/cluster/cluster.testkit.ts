/**
 * A cluster in one process for the NATS tests: partition workers and the coordinator on the
 * local NATS JetStream and PostgreSQL, under a fresh cluster name (own streams and schemas),
 * and the teardown that stops them and removes what they created.
 */
import { NATS_URL } from '../../test/support/nats.ts';
import { PG_URL } from '../../test/support/postgres.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { Coordinator } from './coordinator.ts';
import { type ClusterNames, clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { partitionOf } from './partition.ts';
import { PartitionWorker } from './worker.ts';

export interface TestCluster {
  readonly names: ClusterNames;
  readonly partitions: number;
  readonly config: unknown;
  workers: PartitionWorker[];
  coordinator: Coordinator;
  readonly client: ClusterClient;
}

export interface TestClusterOptions {
  readonly name: string;
  readonly partitions: number;
  readonly config: unknown;
  readonly settlement: { readonly id: string; readonly decimals: number };
  readonly snapshotEvery?: number;
  /** The partition consumers' `ack_wait` (default the production 30 s). */
  readonly ackWaitMs?: number;
  /** The coordinator's pair timer (default: the coordinator's own). */
  readonly pairSettleIntervalMs?: number;
}

/** Starts partition `p`'s worker of `c` (again, after a test stopped it). */
export function startTestWorker(
  c: Pick<TestCluster, 'names' | 'partitions' | 'config'>,
  p: number,
  snapshotEvery = 5,
  ackWaitMs?: number,
): Promise<PartitionWorker> {
  return PartitionWorker.start({
    names: c.names,
    partitions: c.partitions,
    pgUrl: PG_URL,
    natsUrl: NATS_URL,
    partition: p,
    config: c.config,
    snapshotEvery,
    ...(ackWaitMs === undefined ? {} : { ackWaitMs }),
  });
}

export async function startTestCluster(o: TestClusterOptions): Promise<TestCluster> {
  const names = clusterNames(o.name);
  const base = { names, partitions: o.partitions, config: o.config };
  const workers = await Promise.all(
    Array.from({ length: o.partitions }, (_, p) => startTestWorker(base, p, o.snapshotEvery, o.ackWaitMs)),
  );
  const coordinator = await Coordinator.start({
    names,
    partitions: o.partitions,
    pgUrl: PG_URL,
    natsUrl: NATS_URL,
    settlement: o.settlement,
    ...(o.snapshotEvery === undefined ? {} : { snapshotEvery: o.snapshotEvery }),
    ...(o.pairSettleIntervalMs === undefined ? {} : { pairSettleIntervalMs: o.pairSettleIntervalMs }),
  });
  const client = new ClusterClient(await connectBus(NATS_URL), names, o.partitions);
  return { ...base, workers, coordinator, client };
}

export async function stopTestCluster(c: TestCluster): Promise<void> {
  await Promise.all(c.workers.map((w) => w.stop()));
  await c.coordinator.stop();
  await c.client.bus.nc.close();
  await purgeCluster(PG_URL, NATS_URL, c.names, c.partitions);
}

/** The first `${prefix}${i}` account name that falls in `partition` of `partitions`. */
export function inPartition(prefix: string, partition: number, partitions: number): string {
  for (let i = 0; ; i++) if (partitionOf(`${prefix}${i}`, partitions) === partition) return `${prefix}${i}`;
}

/** Polls `test` every 100 ms until it holds; throws after `ms`. */
export async function until(
  what: string,
  test: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
