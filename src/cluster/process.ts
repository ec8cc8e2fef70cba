/**
 * One cluster process: a partition worker or the coordinator, started by the supervisor
 * (`plimsoll cluster up`) or by hand:
 *
 *   node dist/cluster/process.js worker --name plimsoll --partition 0 --partitions 3 --config venue.json
 *   node dist/cluster/process.js coordinator --name plimsoll --partitions 3 --config venue.json
 *
 * Options: --pg URL (default postgres://postgres@127.0.0.1:5432/postgres), --nats URL (default
 * nats://127.0.0.1:4222), --snapshot-every N, --pair-settle-ms MS (coordinator: timed pair settlement,
 * 0 off). Prints one JSON line when it consumes
 * (`{"ready":true,...}`); exits 1 on a fault (a failed journal commit, a lost database), so that
 * its supervisor starts it again from the journal and the stream; stops cleanly on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseEngineConfig } from '../core/engine/engine.ts';
import { Coordinator, DEFAULT_PAIR_SETTLE_INTERVAL_MS } from './coordinator.ts';
import { clusterNames } from './names.ts';
import { DEFAULT_NATS_URL } from './nats.ts';
import { PartitionWorker } from './worker.ts';

export const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The settlement asset of an engine configuration (the coordinator pays covers in it). */
export function settlementOf(config: unknown): { id: string; decimals: number } {
  const c = parseEngineConfig(config);
  const asset = c.assets.find((a) => a.id === c.settlementAsset);
  return { id: c.settlementAsset, decimals: asset?.decimals ?? 0 };
}

export async function runClusterProcess(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'plimsoll' },
      partition: { type: 'string' },
      partitions: { type: 'string' },
      config: { type: 'string' },
      pg: { type: 'string', default: process.env.PLIMSOLL_PG_URL ?? DEFAULT_PG_URL },
      nats: { type: 'string', default: process.env.PLIMSOLL_NATS_URL ?? DEFAULT_NATS_URL },
      'snapshot-every': { type: 'string', default: '1000' },
      'pair-settle-ms': { type: 'string', default: String(DEFAULT_PAIR_SETTLE_INTERVAL_MS) },
    },
  });
  const role = positionals[0];
  if (role !== 'worker' && role !== 'coordinator') throw new Error('first argument: worker or coordinator');
  if (values.config === undefined) throw new Error('--config FILE (engine configuration JSON) is required');
  if (values.partitions === undefined) throw new Error('--partitions N is required');
  const config: unknown = JSON.parse(readFileSync(values.config, 'utf8'));
  const names = clusterNames(values.name);
  const partitions = Number(values.partitions);
  const onFatal = (err: Error) => {
    process.stderr.write(`${role}: ${err.message}\n`);
    process.exit(1);
  };
  const common = { names, partitions, pgUrl: values.pg, natsUrl: values.nats, onFatal };
  let stop: () => Promise<void>;
  const t0 = performance.now();
  if (role === 'worker') {
    const partition = Number(values.partition);
    const w = await PartitionWorker.start({
      ...common,
      partition,
      config,
      snapshotEvery: Number(values['snapshot-every']),
    });
    stop = () => w.stop();
    const s = w.status();
    process.stdout.write(
      `${JSON.stringify({ ready: true, role, partition, pid: process.pid, seq: s.seq, startMs: Math.round(performance.now() - t0) })}\n`,
    );
  } else {
    const c = await Coordinator.start({
      ...common,
      settlement: settlementOf(config),
      pairSettleIntervalMs: Number(values['pair-settle-ms']),
    });
    stop = () => c.stop();
    process.stdout.write(`${JSON.stringify({ ready: true, role, pid: process.pid })}\n`);
  }
  const quit = () => {
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runClusterProcess(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
