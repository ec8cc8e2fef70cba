/**
 * A slow consumer: partition 0's journal commits take longer than its JetStream consumer's
 * `ack_wait`, so JetStream delivers again messages the worker still holds uncommitted — the
 * duplicates arrive while the originals are in flight. The slowness is real: another PostgreSQL
 * session holds `LOCK TABLE … IN ACCESS EXCLUSIVE MODE` on partition 0's events table for several
 * ack waits (the consumers' `ack_wait` shortened to 400 ms for the test) while deposits keep
 * arriving for both partitions. Partition 1 must go on meanwhile; after the release every command
 * id is accepted once in its partition's journal, each balance is the hand sum of its deposits,
 * the cluster's money is conserved — and the redeliveries did happen (else the test proves nothing).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { startTestCluster, stopTestCluster } from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { partitionOf } from './partition.ts';

const READY =
  (await postgresAvailable('the slow-consumer fault test')) &&
  (await natsAvailable('the slow-consumer fault test'));
const N = 2;
const ACK_WAIT_MS = 400;
/** How long partition 0's commits are blocked: several ack waits. */
const HOLD_MS = 6 * ACK_WAIT_MS;

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe.runIf(READY)('cluster faults: a slow consumer', () => {
  it('commits slower than ack_wait: redelivered while in flight, applied once; the other partition goes on', async () => {
    const c = await startTestCluster({
      name: freshClusterName(),
      partitions: N,
      config: venueConfig(),
      settlement: { id: 'USDC', decimals: 6 },
      snapshotEvery: 50,
      ackWaitMs: ACK_WAIT_MS,
    });
    const locker = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
    locker.on('error', () => {});
    let locked = false;
    try {
      const accounts = Array.from({ length: 8 }, (_, i) => `w${i}`);
      const byPartition = [0, 1].map((p) => accounts.filter((a) => partitionOf(a, N) === p));
      expect(byPartition.every((a) => a.length > 0)).toBe(true);
      const expected = new Map<string, bigint>();
      const ids: string[][] = [[], []];
      let n = 0;
      // deposit number n + 1 micro-USDC: each amount distinct, so a double shows in the sums
      const deposit = async (account: string) => {
        const i = n++;
        const id = `slow-${i}`;
        const amount = `0.${String(i + 1).padStart(6, '0')}`;
        const r = await c.client.submit(
          { type: 'deposit', commandId: id, to: { account }, asset: 'USDC', amount },
          0,
        );
        expect(r.ok).toBe('pending'); // durable in the stream
        expected.set(account, (expected.get(account) ?? 0n) + BigInt(i + 1));
        ids[partitionOf(account, N)]!.push(id);
      };
      const balanceOf = async (account: string) => {
        const q = await c.client.query(partitionOf(account, N), account);
        return (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
      };
      const settled = async (list: string[], timeoutMs: number) => {
        const until = performance.now() + timeoutMs;
        while (performance.now() < until) {
          const got = await Promise.all(list.map(balanceOf));
          if (got.every((b, i) => b === (expected.get(list[i]!) ?? 0n))) return true;
          await sleep(50);
        }
        return false;
      };
      for (let i = 0; i < 16; i++) await deposit(accounts[i % accounts.length]!);
      expect(await settled(accounts, 5000)).toBe(true);

      // partition 0's commits block from here: its journal's events table is locked
      const events = `"${c.names.partitionSchema(0)}".events`;
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${events} IN ACCESS EXCLUSIVE MODE`);
      locked = true;
      const t0 = performance.now();
      const consumerInfo = () => c.client.bus.jsm.consumers.info(c.names.commandStream, c.names.consumer(0));
      let maxRedelivered = 0;
      let maxPending = 0;
      // deposits for both partitions keep arriving through the hold
      while (performance.now() - t0 < HOLD_MS - 300) {
        for (const a of accounts) await deposit(a);
        const info = await consumerInfo();
        maxRedelivered = Math.max(maxRedelivered, info.num_redelivered);
        maxPending = Math.max(maxPending, info.num_ack_pending);
        await sleep(100);
      }
      // still inside the hold: partition 1 has applied (and answers) everything sent to it so far
      expect(await settled(byPartition[1]!, 250)).toBe(true);
      const holdLeft = HOLD_MS - (performance.now() - t0);
      if (holdLeft > 0) await sleep(holdLeft);
      const held = await consumerInfo();
      maxRedelivered = Math.max(maxRedelivered, held.num_redelivered);
      // partition 0 held its messages unacked past ack_wait, and JetStream sent them again
      expect(held.num_ack_pending).toBeGreaterThan(0);
      expect(maxRedelivered).toBeGreaterThan(0);
      expect(c.workers[0]!.failure).toBeUndefined();
      const heldMs = performance.now() - t0;
      await locker.query('COMMIT');
      locked = false;

      // after the release: more deposits, then everything applied once
      for (const a of accounts) await deposit(a);
      expect(await settled(accounts, 15_000)).toBe(true);
      for (const a of accounts) expect(await balanceOf(a)).toBe(expected.get(a));
      // and nothing left unacked (so nothing more will come)
      for (let t = 0; t < 100 && (await consumerInfo()).num_ack_pending > 0; t++) await sleep(50);
      expect((await consumerInfo()).num_ack_pending).toBe(0);
      const redeliveries = c.workers[0]!.redeliveries;
      expect(redeliveries).toBeGreaterThan(0);
      expect(c.workers[1]!.redeliveries).toBe(0);
      console.info(
        `slow consumer: partition 0 blocked ${Math.round(heldMs)} ms (ack_wait ${ACK_WAIT_MS} ms), ` +
          `${n} deposits, up to ${maxPending} unacked and ${maxRedelivered} redelivered at once, ` +
          `${redeliveries} redeliveries seen by the worker`,
      );
      expect(c.workers.every((w) => w.failure === undefined)).toBe(true);
      await Promise.all(c.workers.map((w) => w.stop()));
      c.workers = [];

      // the journals: exactly one command_accepted per published command id, in its partition
      for (let p = 0; p < N; p++) {
        const journal = await PostgresJournal.open(PG_URL, {
          schema: c.names.partitionSchema(p),
          readOnly: true,
        });
        try {
          const accepted = new Map<string, number>();
          for (const e of journal.read(0)) {
            if (e.type !== 'command_accepted') continue;
            const id = (JSON.parse(e.json) as { commandId: string }).commandId;
            if (!id.startsWith('slow-')) continue;
            accepted.set(id, (accepted.get(id) ?? 0) + 1);
          }
          expect([...accepted.keys()].sort()).toEqual([...ids[p]!].sort());
          expect([...accepted.entries()].filter(([, k]) => k !== 1)).toEqual([]);
        } finally {
          await journal.closeAsync();
        }
      }
      const report = await checkConservation(PG_URL, c.names, N);
      expect(report.problems).toEqual([]);
      expect(report.total.USDC).toBe(BigInt((n * (n + 1)) / 2));
    } finally {
      if (locked) await locker.query('ROLLBACK').catch(() => {});
      await locker.end().catch(() => {});
      await stopTestCluster(c);
    }
  }, 30_000);
});
