/**
 * Faults, with real processes: partition workers run as child processes
 * (`node --import tsx src/cluster/process.ts worker ...`) against the local NATS JetStream and
 * PostgreSQL. A worker is killed with SIGKILL in the middle of a stream of deposits and started
 * again; afterwards every published command (each acknowledged by JetStream) must be applied
 * exactly once — the journal holds one `command_accepted` per command id and each balance is the
 * hand sum of its deposits — and the cluster's money is conserved.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { Engine } from '../core/engine/engine.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { checkConservation } from './conservation.ts';
import { clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { partitionOf } from './partition.ts';

const READY =
  (await postgresAvailable('the cluster fault tests')) && (await natsAvailable('the cluster fault tests'));
const N = 2;
const REPO = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'plimsoll-cluster-'));
const configFile = join(dir, 'venue.json');
writeFileSync(configFile, JSON.stringify(venueConfig()));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function startWorker(name: string, partition: number): Promise<{ child: ChildProcess; ms: number }> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cluster/process.ts',
      'worker',
      '--name',
      name,
      '--partition',
      String(partition),
      '--partitions',
      String(N),
      '--config',
      configFile,
      '--pg',
      PG_URL,
      '--nats',
      NATS_URL,
      '--snapshot-every',
      '50',
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += String(d);
    });
    child.stdout!.once('data', () => resolve({ child, ms: performance.now() - t0 }));
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${err.slice(0, 2000)}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

describe.runIf(READY)('cluster faults', () => {
  it('kill -9 of a worker mid-stream: restarted from its snapshot and the stream, nothing lost or doubled', async () => {
    const names = clusterNames(freshClusterName());
    const client = new ClusterClient(await connectBus(NATS_URL), names, N);
    try {
      const workers = [await startWorker(names.name, 0), await startWorker(names.name, 1)];
      const accounts = Array.from({ length: 8 }, (_, i) => `k${i}`);
      const expected = new Map<string, bigint>();
      const ids: string[][] = Array.from({ length: N }, () => []);
      const TOTAL = 400;
      let restarted: Promise<{ child: ChildProcess; ms: number }> | undefined;
      for (let i = 0; i < TOTAL; i++) {
        const account = accounts[i % accounts.length]!;
        const id = `dep-${i}`;
        // i + 1 micro-USDC: each deposit's amount is distinct, so a double shows in the sum
        const r = await client.submit(
          {
            type: 'deposit',
            commandId: id,
            to: { account },
            asset: 'USDC',
            amount: `0.${String(i + 1).padStart(6, '0')}`,
          },
          0,
        );
        expect(r.ok).toBe('pending'); // durable in the stream (JetStream acknowledged it)
        expected.set(account, (expected.get(account) ?? 0n) + BigInt(i + 1));
        ids[partitionOf(account, N)]!.push(id);
        if (i === 150) {
          workers[0]!.child.kill('SIGKILL');
          await exited(workers[0]!.child);
        }
        if (i === 250) restarted = startWorker(names.name, 0);
      }
      const again = await restarted!;
      workers[0] = again;
      // every deposit applied: poll the balances until they reach the hand sums
      const t0 = performance.now();
      const balanceOf = async (account: string) => {
        const q = await client.query(partitionOf(account, N), account);
        return (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
      };
      for (let tries = 0; tries < 200; tries++) {
        const got = await Promise.all(accounts.map(balanceOf));
        if (got.every((b, i) => b === expected.get(accounts[i]!))) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const caughtUpMs = performance.now() - t0;
      for (const a of accounts) expect(await balanceOf(a)).toBe(expected.get(a));
      console.info(
        `cluster kill -9: restarted worker ready in ${Math.round(again.ms)} ms, caught up ${Math.round(caughtUpMs)} ms later`,
      );
      for (const w of workers) {
        w.child.kill('SIGTERM');
        await exited(w.child);
      }
      // the journals: exactly one command_accepted per published command id, in its partition
      for (let p = 0; p < N; p++) {
        const journal = await PostgresJournal.open(PG_URL, {
          schema: names.partitionSchema(p),
          readOnly: true,
        });
        try {
          expect(journal.latestSnapshot()?.seq ?? 0).toBeGreaterThan(0);
          const accepted = new Map<string, number>();
          for (const e of journal.read(0)) {
            if (e.type !== 'command_accepted') continue;
            const id = (JSON.parse(e.json) as { commandId: string }).commandId;
            accepted.set(id, (accepted.get(id) ?? 0) + 1);
          }
          expect([...accepted.keys()].sort()).toEqual([...ids[p]!].sort());
          expect([...accepted.values()].every((n) => n === 1)).toBe(true);
        } finally {
          await journal.closeAsync();
        }
      }
      const report = await checkConservation(PG_URL, names, N);
      expect(report.problems).toEqual([]);
      // Σ (i + 1) for i < 400 = 400 · 401 / 2 micro-USDC in all
      expect(report.total.USDC).toBe(BigInt((TOTAL * (TOTAL + 1)) / 2));
    } finally {
      await client.bus.nc.close();
      await purgeCluster(PG_URL, NATS_URL, names, N);
    }
  }, 120_000);

  it('a partition paused (SIGSTOP) through a crash tick: the others go on, it catches up in order after', async () => {
    const names = clusterNames(freshClusterName());
    const client = new ClusterClient(await connectBus(NATS_URL), names, N);
    try {
      const workers = [await startWorker(names.name, 0), await startWorker(names.name, 1)];
      const accounts = Array.from({ length: 6 }, (_, i) => `s${i}`);
      const byPartition = [0, 1].map((p) => accounts.filter((a) => partitionOf(a, N) === p));
      expect(byPartition.every((a) => a.length > 0)).toBe(true);
      const expected = new Map<string, bigint>();
      const deposit = async (i: number) => {
        const account = accounts[i % accounts.length]!;
        expected.set(account, (expected.get(account) ?? 0n) + BigInt(i + 1));
        const amount = `0.${String(i + 1).padStart(6, '0')}`;
        await client.submit(
          { type: 'deposit', commandId: `s-${i}`, to: { account }, asset: 'USDC', amount },
          0,
        );
      };
      const balanceOf = async (account: string, timeout = 5000) => {
        const q = await client.query(partitionOf(account, N), account, timeout);
        return (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
      };
      const settledFor = async (list: string[]) => {
        for (let t = 0; t < 100; t++) {
          const got = await Promise.all(list.map((a) => balanceOf(a)));
          if (got.every((b, i) => b === (expected.get(list[i]!) ?? 0n))) return;
          await new Promise((res) => setTimeout(res, 100));
        }
      };
      await client.submit({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' }, commandId: 'px1' }, 0);
      for (let i = 0; i < 30; i++) await deposit(i);
      await settledFor(accounts);
      workers[0]!.child.kill('SIGSTOP');
      // the crash tick and more deposits while partition 0 is paused
      await client.submit({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '40000' }, commandId: 'px2' }, 0);
      for (let i = 30; i < 90; i++) await deposit(i);
      await settledFor(byPartition[1]!);
      for (const a of byPartition[1]!) expect(await balanceOf(a)).toBe(expected.get(a));
      const one = await client.query(1);
      expect(one.status.broadcastHighWater).toBe(2);
      await expect(client.query(0, undefined, 300)).rejects.toThrow(); // paused: no answer
      workers[0]!.child.kill('SIGCONT');
      await settledFor(accounts);
      for (const a of accounts) expect(await balanceOf(a)).toBe(expected.get(a));
      const zero = await client.query(0);
      expect(zero.status.broadcastHighWater).toBe(2);
      for (const w of workers) {
        w.child.kill('SIGTERM');
        await exited(w.child);
      }
      const report = await checkConservation(PG_URL, names, N);
      expect(report.problems).toEqual([]);
      // both partitions applied both ticks in the stream's order: 40,000 last
      for (let p = 0; p < N; p++) {
        const journal = await PostgresJournal.open(PG_URL, {
          schema: names.partitionSchema(p),
          readOnly: true,
        });
        try {
          expect(Engine.open(journal).state.markets.get('BTC-PERP')?.markPx8).toBe(40_000n * 10n ** 8n);
        } finally {
          await journal.closeAsync();
        }
      }
    } finally {
      await client.bus.nc.close();
      await purgeCluster(PG_URL, NATS_URL, names, N);
    }
  }, 120_000);
});
