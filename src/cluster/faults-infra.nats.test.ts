/**
 * Infrastructure faults, with in-process workers: a partition worker's PostgreSQL connection is
 * killed (pg_terminate_backend, as a network cut would) in the middle of a stream; the PostgreSQL
 * server itself crashes and starts again (a private server in a temporary directory,
 * test/support/private-postgres.ts); and the NATS server itself is restarted (a private nats-server with its own store, so
 * other users of the machine's server are not disturbed). After each, every published command is
 * applied exactly once (one `command_accepted` per id in the journal, balances equal to the hand
 * sums) and the cluster's money is conserved.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable, runSql } from '../../test/support/postgres.ts';
import { privatePostgresAvailable, startPrivatePostgres } from '../../test/support/private-postgres.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { checkConservation } from './conservation.ts';
import { type ClusterNames, clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { partitionOf } from './partition.ts';
import { PartitionWorker } from './worker.ts';

const READY =
  (await postgresAvailable('the cluster fault tests')) && (await natsAvailable('the cluster fault tests'));
const PRIVATE_PG = READY && (await privatePostgresAvailable('the PostgreSQL restart fault test'));
const N = 2;
const NATS_BIN = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function workerOf(
  names: ClusterNames,
  natsUrl: string,
  partition: number,
  failures: Error[],
  pgUrl = PG_URL,
) {
  return PartitionWorker.start({
    names,
    partitions: N,
    pgUrl,
    natsUrl,
    partition,
    config: venueConfig(),
    snapshotEvery: 40,
    onFatal: (e) => failures.push(e),
  });
}

/** Waits until every account's balance is its hand sum; then checks the journals and conservation. */
async function settled(
  client: ClusterClient,
  names: ClusterNames,
  expected: Map<string, bigint>,
  ids: Set<string>,
  pgUrl = PG_URL,
): Promise<void> {
  const balanceOf = async (account: string) => {
    const q = await client.query(partitionOf(account, N), account).catch(() => undefined);
    return (q?.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
  };
  for (let tries = 0; tries < 300; tries++) {
    const got = await Promise.all([...expected.keys()].map(balanceOf));
    if (got.every((b, i) => b === [...expected.values()][i])) break;
    await sleep(100);
  }
  for (const [a, v] of expected) expect(await balanceOf(a)).toBe(v);
  const accepted = new Map<string, number>();
  for (let p = 0; p < N; p++) {
    const journal = await PostgresJournal.open(pgUrl, { schema: names.partitionSchema(p), readOnly: true });
    try {
      for (const e of journal.read(0)) {
        if (e.type !== 'command_accepted') continue;
        const id = (JSON.parse(e.json) as { commandId: string }).commandId;
        accepted.set(id, (accepted.get(id) ?? 0) + 1);
      }
    } finally {
      await journal.closeAsync();
    }
  }
  expect([...accepted.keys()].sort()).toEqual([...ids].sort());
  expect([...accepted.values()].every((n) => n === 1)).toBe(true);
  const report = await checkConservation(pgUrl, names, N);
  expect(report.problems).toEqual([]);
}

function deposits(from: number, to: number, expected: Map<string, bigint>, ids: Set<string>) {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    const account = `f${i % 6}`;
    const amount = BigInt(i + 1); // micro-USDC, distinct: a double shows in the sum
    expected.set(account, (expected.get(account) ?? 0n) + amount);
    ids.add(`dep-${i}`);
    out.push({
      type: 'deposit',
      commandId: `dep-${i}`,
      to: { account },
      asset: 'USDC',
      amount: `0.${String(amount).padStart(6, '0')}`,
    });
  }
  return out;
}

describe.runIf(READY)('cluster infrastructure faults', () => {
  it("a worker's PostgreSQL connection killed mid-stream: it stops unacked, restarts, nothing lost or doubled", async () => {
    const names = clusterNames(freshClusterName());
    const failures: Error[] = [];
    const workers = [
      await workerOf(names, NATS_URL, 0, failures),
      await workerOf(names, NATS_URL, 1, failures),
    ];
    const client = new ClusterClient(await connectBus(NATS_URL), names, N);
    const expected = new Map<string, bigint>();
    const ids = new Set<string>();
    try {
      const commands = deposits(0, 300, expected, ids);
      for (const [i, c] of commands.entries()) {
        expect((await client.submit(c, 0)).ok).toBe('pending');
        if (i === 120) {
          // the journal writers' sessions hold the schema's advisory lock: end them
          for (let p = 0; p < N; p++) {
            await runSql(
              `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1347177811::oid
               AND objid = ((hashtext($1)::bigint + 4294967296) % 4294967296)::oid`,
              [names.partitionSchema(p)],
            );
          }
        }
      }
      for (let i = 0; i < 100 && failures.length < N; i++) await sleep(50);
      expect(failures.length).toBe(N); // both saw their commit fail and stopped
      for (let p = 0; p < N; p++) workers[p] = await workerOf(names, NATS_URL, p, failures);
      await settled(client, names, expected, ids);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await client.bus.nc.close();
      await purgeCluster(PG_URL, NATS_URL, names, N);
    }
  }, 120_000);

  it.runIf(PRIVATE_PG)(
    'the PostgreSQL server crashed (pg_ctl stop -m immediate) and started mid-stream: workers stop unacked, resume, nothing lost or doubled',
    async () => {
      const server = await startPrivatePostgres();
      const names = clusterNames(freshClusterName());
      const failures: Error[] = [];
      const workers: PartitionWorker[] = [];
      const client = new ClusterClient(await connectBus(NATS_URL), names, N);
      const expected = new Map<string, bigint>();
      const ids = new Set<string>();
      try {
        for (let p = 0; p < N; p++) workers.push(await workerOf(names, NATS_URL, p, failures, server.url));
        const commands = deposits(0, 240, expected, ids);
        for (const [i, c] of commands.entries()) {
          expect((await client.submit(c, 0)).ok).toBe('pending');
          if (i === 100) await server.crash();
        }
        // both partitions got commands after the crash: each worker's next commit fails and it stops
        for (let i = 0; i < 200 && failures.length < N; i++) await sleep(50);
        expect(failures.length).toBe(N);
        // ... without acking: what it took after the crash is still pending in its consumer
        for (let p = 0; p < N; p++) {
          const info = await client.bus.jsm.consumers.info(names.commandStream, names.consumer(p));
          expect(info.num_ack_pending + info.num_pending).toBeGreaterThan(0);
        }
        // while the database is down a worker cannot start (its journal cannot be opened)
        await expect(workerOf(names, NATS_URL, 0, failures, server.url)).rejects.toThrow();
        await server.start();
        for (let p = 0; p < N; p++) workers[p] = await workerOf(names, NATS_URL, p, failures, server.url);
        for (const c of deposits(240, 300, expected, ids))
          expect((await client.submit(c, 0)).ok).toBe('pending');
        await settled(client, names, expected, ids, server.url);
        expect(failures.length).toBe(N); // the restarted workers did not fail
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await client.bus.nc.close();
        await purgeCluster(server.url, NATS_URL, names, N).catch(() => {});
        await server.dispose();
      }
    },
    60_000,
  );

  it.runIf(NATS_BIN !== undefined)(
    'the NATS server restarted mid-stream: workers and client reconnect, nothing lost or doubled',
    async () => {
      const store = mkdtempSync(join(tmpdir(), 'plimsoll-nats-'));
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const url = `nats://127.0.0.1:${port}`;
      let server: ChildProcess | undefined;
      const startNats = async () => {
        server = spawn(NATS_BIN!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
          stdio: 'ignore',
        });
        for (let i = 0; i < 50; i++) {
          try {
            const bus = await connectBus(url);
            await bus.nc.close();
            return;
          } catch {
            await sleep(100);
          }
        }
        throw new Error('private nats-server did not start');
      };
      const stopNats = async () => {
        const s = server!;
        const gone = new Promise((res) => s.once('exit', res));
        s.kill('SIGTERM');
        await gone;
      };
      await startNats();
      const names = clusterNames(freshClusterName());
      const failures: Error[] = [];
      const workers = [await workerOf(names, url, 0, failures), await workerOf(names, url, 1, failures)];
      const client = new ClusterClient(await connectBus(url), names, N);
      const expected = new Map<string, bigint>();
      const ids = new Set<string>();
      try {
        for (const c of deposits(0, 100, expected, ids))
          expect((await client.submit(c, 0)).ok).toBe('pending');
        await stopNats();
        await startNats();
        for (const c of deposits(100, 200, expected, ids)) {
          // a publish during the reconnect may time out: retry with the same message id (deduplicated)
          for (let attempt = 0; ; attempt++) {
            try {
              expect((await client.submit(c, 0)).ok).toBe('pending');
              break;
            } catch (err) {
              if (attempt > 20) throw err;
              await sleep(200);
            }
          }
        }
        await settled(client, names, expected, ids);
        expect(failures).toEqual([]);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await client.bus.nc.close();
        await purgeCluster(PG_URL, url, names, N).catch(() => {});
        await stopNats().catch(() => {});
        rmSync(store, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
