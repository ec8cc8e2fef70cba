/**
 * The coordinator's rounds on NATS and PostgreSQL: hundreds of coverage requests from many
 * partitions arrive at once (with repeats under new message ids and totals arriving out of
 * order), the coordinator is stopped between two bursts and a new one takes over. Every request is answered;
 * each (partition, total) is paid once; with an ample fund the first answers of a partition add
 * up to its highest answered total (each pays the growth since the previous); the fund conserves;
 * and the requests were taken several per round (fewer rounds than requests). And a round whose
 * transaction fails (the coordinator's database session ended between two bursts) is acked by
 * nobody: the coordinator stops, the next one answers every request of it, each recorded once.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable, runSql } from '../../test/support/postgres.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { Coordinator, readCoordinatorLedger } from './coordinator.ts';
import { clusterNames } from './names.ts';
import { connectBus, takeOverConsumer } from './nats.ts';

const READY =
  (await postgresAvailable('the coordinator round tests')) &&
  (await natsAvailable('the coordinator round tests'));
const P = 8;

describe.runIf(READY)('coordinator rounds', () => {
  it('answers a burst from many partitions once each, across a coordinator restart, in fewer rounds than requests', async () => {
    const names = clusterNames(freshClusterName());
    const start = () =>
      Coordinator.start({
        names,
        partitions: P,
        pgUrl: PG_URL,
        natsUrl: NATS_URL,
        settlement: { id: 'USDC', decimals: 6 },
      });
    let coordinator = await start();
    const client = new ClusterClient(await connectBus(NATS_URL), names, P);
    try {
      expect(
        await client.coordinator({ type: 'fund', id: 'seed', amount: String(10n ** 15n) }, 'f:seed'),
      ).toMatchObject({ ok: true, kind: 'funded' });
      // per partition, totals 100, 200, … with a repeat of every third under another message id
      const burst = (from: number, to: number) => {
        const sent: Promise<{ p: number; total: number; r: unknown }>[] = [];
        for (let i = from; i < to; i++) {
          const p = i % P;
          const total = 100 * (Math.floor(i / P) + 1) + p;
          const body = { type: 'shortfall', partition: p, total: String(total) };
          sent.push(client.coordinator(body, `shortfall:${p}:${total}`).then((r) => ({ p, total, r })));
          if (i % 3 === 0)
            sent.push(client.coordinator(body, `again:${p}:${total}`).then((r) => ({ p, total, r })));
        }
        return Promise.all(sent);
      };
      const first = await burst(0, 160);
      const rounds = coordinator.rounds;
      await coordinator.stop();
      coordinator = await start();
      const second = await burst(160, 320);
      const answers = [...first, ...second];
      expect(rounds + coordinator.rounds).toBeLessThan(answers.length);
      const paidFirst = new Map<string, number>();
      const highest = new Map<number, number>();
      let sumPaid = 0n;
      for (const { p, total, r } of answers) {
        const o = r as {
          ok: boolean;
          kind?: string;
          paid?: string;
          replayed?: boolean;
          rejection?: { code: string };
        };
        expect(o.ok === true || o.rejection?.code === 'STALE_SHORTFALL').toBe(true);
        if (o.ok !== true || o.replayed === true) continue;
        const key = `${p}:${total}`;
        paidFirst.set(key, (paidFirst.get(key) ?? 0) + 1);
        highest.set(p, Math.max(highest.get(p) ?? 0, total));
        sumPaid += BigInt(o.paid!);
      }
      expect([...paidFirst.values()].every((n) => n === 1)).toBe(true);
      const highestSum = [...highest.values()].reduce((a, b) => a + BigInt(b), 0n);
      expect(sumPaid).toBe(highestSum);
      const ledger = await readCoordinatorLedger(PG_URL, names);
      expect(ledger.funded).toBe(10n ** 15n);
      expect(ledger.balance + ledger.fundPaid).toBe(ledger.funded);
      expect(ledger.fundPaid).toBe(sumPaid);
    } finally {
      await coordinator.stop();
      await client.bus.nc.close();
      await purgeCluster(PG_URL, NATS_URL, names, P);
    }
  }, 60_000);

  it("a round whose transaction fails (the coordinator's PostgreSQL session ended) is not acked: the next coordinator answers it once", async () => {
    const names = clusterNames(freshClusterName());
    const failures: Error[] = [];
    const start = () =>
      Coordinator.start({
        names,
        partitions: P,
        pgUrl: PG_URL,
        natsUrl: NATS_URL,
        settlement: { id: 'USDC', decimals: 6 },
        onFatal: (e) => failures.push(e),
      });
    let coordinator = await start();
    const client = new ClusterClient(await connectBus(NATS_URL), names, P);
    const ask = (i: number, waitMs?: number) => {
      const p = i % P;
      const total = String(100 * (Math.floor(i / P) + 1));
      return client.coordinator(
        { type: 'shortfall', partition: p, total },
        `shortfall:${p}:${total}`,
        waitMs,
      );
    };
    try {
      await client.coordinator({ type: 'fund', id: 'seed', amount: String(10n ** 15n) }, 'f:seed');
      for (const r of await Promise.all(Array.from({ length: 80 }, (_, i) => ask(i))))
        expect(r).toMatchObject({ ok: true, kind: 'covered' });
      await runSql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND application_name LIKE $1`,
        [`%${names.coordinatorSchema}%`],
      );
      // the next round's transaction fails: the coordinator stops without acking any of it
      const late = Promise.all(Array.from({ length: 80 }, (_, i) => ask(80 + i, 1500)));
      for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(failures.length).toBe(1);
      await late;
      const info = await client.bus.jsm.consumers.info(names.coordinatorStream, names.coordinatorConsumer);
      expect(info.num_ack_pending + info.num_pending).toBeGreaterThan(0);
      // the old one is gone: take its consumer over (as a worker's successor does) and start another
      await takeOverConsumer(
        client.bus,
        names.coordinatorStream,
        names.coordinatorConsumer,
        names.coordinatorSubject,
      );
      coordinator = await start();
      for (let i = 0; i < 200; i++) {
        const c = await client.bus.jsm.consumers.info(names.coordinatorStream, names.coordinatorConsumer);
        if (c.num_ack_pending + c.num_pending === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // all 160 answered once: one recorded answer per (partition, total), and each partition
      // paid exactly its highest total (2,000)
      const db = new pg.Client({ connectionString: PG_URL });
      await db.connect();
      try {
        const rows = await db.query<{ n: string }>(
          `SELECT COUNT(*)::text AS n FROM "${names.coordinatorSchema}".covers`,
        );
        expect(rows.rows[0]!.n).toBe('160');
      } finally {
        await db.end();
      }
      const ledger = await readCoordinatorLedger(PG_URL, names);
      for (let p = 0; p < P; p++) expect(ledger.paid.get(p)).toBe(2000n);
      expect(ledger.fundPaid).toBe(BigInt(P) * 2000n);
      expect(ledger.balance + ledger.fundPaid).toBe(ledger.funded);
      expect(failures.length).toBe(1);
    } finally {
      await coordinator.stop();
      await client.bus.nc.close();
      await purgeCluster(PG_URL, NATS_URL, names, P);
    }
  }, 60_000);
});
