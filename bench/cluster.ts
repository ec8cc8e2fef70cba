/**
 * Cluster figures on this machine (not part of `npm run bench`: it needs NATS and PostgreSQL and
 * takes a minute):
 *
 *   npx tsx bench/cluster.ts [--commands 3000] [--json] [--only throughput|kill|liquidation|coordinator]
 *
 * 1. Accepted commands per second with 1, 2 and 3 partition workers (child processes, started by
 *    the supervisor, with the coordinator). Timed region: from the first publish to the moment
 *    every partition reports all its commands applied — JetStream publish and persist, delivery,
 *    engine execute, the PostgreSQL commit of each batch and the ack. Commands: deposits with
 *    command ids to 64 accounts, published 64 at a time.
 * 2. Recovery after kill -9: a worker is killed in the middle of the stream; the figure is the
 *    time from the kill until its partition has applied every command (includes the supervisor's
 *    500 ms restart pause and the Node/tsx start of the new process).
 * 3. Where the time goes: CPU seconds spent inside each timed region by the publisher (this
 *    process), the partition workers, nats-server and every PostgreSQL backend (from
 *    /proc/<pid>/stat; PostgreSQL's figure includes other sessions on the machine), as a share of
 *    the region's wall time. On 2 cores, 200 % is the whole machine.
 * 4. End-to-end liquidation latency, cluster vs single process (`--liquidation-rounds N`, default
 *    5). Each round: marks at 60,000, K leveraged longs per partition (1,000 USDT margin, 1 BTC
 *    bought at 60,000), then a crash to 59,000. Timed region: from the moment the price command is
 *    accepted (its submit resolved: durable, answered by the engine) to the moment the liquidation
 *    events are visible — in the cluster at the gateway's merged WebSocket stream (the crash is
 *    broadcast through JetStream; a keeper on the stream asks GET /v1/risk/at-risk (merged) and
 *    POSTs /v1/liquidations to the gateway, each routed to its partition and committed there, then
 *    read back from the journal by the stream's poll); in the single process (`startService`,
 *    SQLite store, the built-in keeper in execute mode) at its event hub, which feeds the WebSocket.
 * 5. The coordinator's capacity: shortfall requests answered per second (bench/cluster-coordinator.ts).
 * Every figure is printed with the 1-minute load average before and after it.
 * Each run uses its own cluster name and removes its streams and schemas afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { purgeCluster } from '../src/cluster/admin.ts';
import { ClusterClient } from '../src/cluster/client.ts';
import { checkConservation } from '../src/cluster/conservation.ts';
import { clusterNames } from '../src/cluster/names.ts';
import { connectBus, DEFAULT_NATS_URL } from '../src/cluster/nats.ts';
import { partitionOf } from '../src/cluster/partition.ts';
import { DEFAULT_PG_URL } from '../src/cluster/process.ts';
import { superviseCluster } from '../src/cluster/supervisor.ts';
import { venueConfig } from '../test/support/fixtures.ts';

import { coordinatorCapacity } from './cluster-coordinator.ts';
import { liquidationLatency } from './cluster-liquidation.ts';

const args = process.argv.slice(2);
const COMMANDS = Number(args[args.indexOf('--commands') + 1] ?? 3000) || 3000;
const JSON_OUT = args.includes('--json');
const PG = process.env.PLIMSOLL_PG_URL ?? DEFAULT_PG_URL;
const NATS = process.env.PLIMSOLL_NATS_URL ?? DEFAULT_NATS_URL;
const dir = mkdtempSync(join(tmpdir(), 'plimsoll-bench-cluster-'));
const configFile = join(dir, 'venue.json');
writeFileSync(configFile, JSON.stringify(venueConfig()));

async function appliedBy(client: ClusterClient, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = 0; p < n; p++) out.push((await client.query(p).catch(() => undefined))?.status.applied ?? -1);
  return out;
}

async function run(workers: number, killOne: boolean) {
  const names = clusterNames(`bench${process.pid}_${workers}_${killOne ? 'k' : 'r'}`);
  const cluster = superviseCluster({
    name: names.name,
    workers,
    configFile,
    pgUrl: PG,
    natsUrl: NATS,
    snapshotEvery: 1000,
    // the restarted worker's ready line: how much of the recovery is starting the process
    onLine: (role, line) => {
      if (role === 'worker 0' && line.includes('"ready":true')) readyAt.push(performance.now());
    },
  });
  const readyAt: number[] = [];
  await cluster.ready;
  const client = new ClusterClient(await connectBus(NATS), names, workers);
  try {
    const perPartition = new Array<number>(workers).fill(0);
    const accounts = Array.from({ length: 64 }, (_, i) => `bench${i}`);
    const load0 = loadavg()[0]!;
    const cpu0 = cpuSnapshot(cluster.pids());
    const t0 = performance.now();
    let killedAt = 0;
    for (let i = 0; i < COMMANDS; i += 64) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(COMMANDS, i + 64); j++) {
        const account = accounts[j % accounts.length]!;
        perPartition[partitionOf(account, workers)]! += 1;
        batch.push(
          client.submit(
            { type: 'deposit', commandId: `b${j}`, to: { account }, asset: 'USDC', amount: '1' },
            0,
          ),
        );
      }
      await Promise.all(batch);
      if (killOne && killedAt === 0 && i >= COMMANDS / 2) {
        process.kill(cluster.pids()['worker 0']!, 'SIGKILL');
        killedAt = performance.now();
      }
    }
    const published = performance.now();
    // a restarted worker counts only what it applied since its start: compare balances' sum instead
    for (;;) {
      const report = await appliedBy(client, workers);
      const done = killOne
        ? await checkDone(client, workers, COMMANDS)
        : report.every((a, p) => a === perPartition[p]);
      if (done) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const end = performance.now();
    const cpu = cpuShares(cpu0, cpuSnapshot(cluster.pids()), end - t0);
    const load = [load0, loadavg()[0]!].map((x) => x.toFixed(1)).join('→');
    const conservation = await checkConservation(PG, names, workers);
    return {
      workers,
      commands: COMMANDS,
      publishMs: Math.round(published - t0),
      totalMs: Math.round(end - t0),
      perSecond: Math.round(COMMANDS / ((end - t0) / 1000)),
      ...(killOne
        ? {
            recoveryMs: Math.round(end - killedAt),
            readyAfterKillMs: Math.round((readyAt.find((t) => t > killedAt) ?? Number.NaN) - killedAt),
            restarts: cluster.restarts(),
          }
        : {}),
      conserved: conservation.ok,
      load,
      cpu,
    };
  } finally {
    await client.bus.nc.close();
    await cluster.stop();
    await purgeCluster(PG, NATS, names, workers);
  }
}

/** Every deposit applied: the cluster's USDC total equals the commands (1 USDC each). */
async function checkDone(client: ClusterClient, workers: number, commands: number): Promise<boolean> {
  let total = 0n;
  for (let p = 0; p < workers; p++) {
    const q = await client.query(p, undefined, 2000).catch(() => undefined);
    if (!q?.ledger) return false;
    total += BigInt(q.ledger.USDC?.ledger ?? '0');
  }
  return total === BigInt(commands) * 1_000_000n;
}

/** CPU ticks (utime + stime) of a process, from /proc (undefined when it is gone). */
function ticks(pid: number): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

function pidsOf(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').map(Number);
  } catch {
    return [];
  }
}

interface CpuSnapshot {
  self: number;
  byRole: Record<string, Map<number, number>>;
}

function cpuSnapshot(workerPids: Record<string, number | undefined>): CpuSnapshot {
  const byRole: Record<string, Map<number, number>> = {
    workers: new Map(),
    nats: new Map(),
    postgres: new Map(),
  };
  for (const [role, pid] of Object.entries(workerPids))
    if (pid !== undefined && role.startsWith('worker')) byRole.workers!.set(pid, ticks(pid) ?? 0);
  for (const pid of pidsOf('nats-server')) byRole.nats!.set(pid, ticks(pid) ?? 0);
  for (const pid of pidsOf('postgres')) byRole.postgres!.set(pid, ticks(pid) ?? 0);
  const u = process.cpuUsage();
  return { self: (u.user + u.system) / 1000, byRole };
}

/** Percent of one core each role used during `wallMs` (100 ticks per second on Linux). */
function cpuShares(a: CpuSnapshot, b: CpuSnapshot, wallMs: number): Record<string, number> {
  const out: Record<string, number> = { publisher: Math.round(((b.self - a.self) / wallMs) * 100) };
  for (const role of Object.keys(b.byRole)) {
    let ms = 0;
    // a restarted worker is a new pid: its whole CPU counts
    for (const [pid, t] of b.byRole[role]!) ms += (t - (a.byRole[role]!.get(pid) ?? 0)) * 10;
    out[role] = Math.round((ms / wallMs) * 100);
  }
  return out;
}

const ROUNDS = Number(args[args.indexOf('--liquidation-rounds') + 1] ?? 5) || 5;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const results = [];
if (only === undefined || only === 'throughput') for (const w of [1, 2, 3]) results.push(await run(w, false));
if (only === undefined || only === 'throughput' || only === 'kill') results.push(await run(2, true));
const liquidation =
  only === undefined || only === 'liquidation'
    ? await liquidationLatency({ pgUrl: PG, natsUrl: NATS, dir, rounds: ROUNDS })
    : undefined;
const coordinator =
  only === undefined || only === 'coordinator'
    ? await coordinatorCapacity({ pgUrl: PG, natsUrl: NATS, requests: 2000 })
    : undefined;
rmSync(dir, { recursive: true, force: true });
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
if (JSON_OUT) process.stdout.write(`${JSON.stringify({ load, results, liquidation, coordinator })}\n`);
else {
  process.stdout.write(`cluster figures (load average ${load}; noisy: re-measure on an idle machine)\n`);
  for (const r of results) {
    process.stdout.write(
      `  ${r.workers} worker(s): ${r.perSecond} accepted commands/s (${r.commands} in ${r.totalMs} ms, published in ${r.publishMs} ms)` +
        `${'recoveryMs' in r ? `; kill -9 of worker 0 mid-stream → all applied ${r.recoveryMs} ms after the kill (the new process ready ${r.readyAfterKillMs} ms after it)` : ''}` +
        `; conserved: ${r.conserved}; load ${r.load}` +
        `\n      CPU % of one core in the timed region: ${Object.entries(r.cpu)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n`,
    );
  }
  if (liquidation) {
    for (const l of liquidation)
      process.stdout.write(
        `  liquidation latency, ${l.label}: price accepted → first liquidation visible median ${l.firstMedianMs} ms ` +
          `(range ${l.firstMinMs}–${l.firstMaxMs}), → all ${l.candidates} visible median ${l.allMedianMs} ms ` +
          `(range ${l.allMinMs}–${l.allMaxMs}); ${l.rounds} rounds; load ${l.load}\n`,
      );
  }
  if (coordinator)
    process.stdout.write(
      `  coordinator: ${coordinator.perSecond} shortfall requests/s answered (${coordinator.requests} over ${coordinator.partitions} partitions, ${coordinator.inFlight} in flight, in ${coordinator.totalMs} ms); load ${coordinator.load}\n`,
    );
}
process.exit(0);
