/**
 * The coordinator's rounds on NATS and PostgreSQL: hundreds of coverage requests from many
 * partitions arrive at once (with repeats under new message ids and totals arriving out of
 * order), the coordinator is stopped between two bursts and a new one takes over. Every request is answered;
 * each (partition, total) is paid once; with an ample fund the first answers of a partition add
 * up to its highest answered total (each pays the growth since the previous); the fund conserves;
 * and the requests were taken several per round (fewer rounds than requests).
 */
import { describe, expect, it } from 'vitest';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { Coordinator, readCoordinatorLedger } from './coordinator.ts';
import { clusterNames } from './names.ts';
import { connectBus } from './nats.ts';

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
});
