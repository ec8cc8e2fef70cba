/**
 * The coordinator's pair timer against the local NATS JetStream and PostgreSQL: a real
 * cross-partition ADL (the engine's socialized-loss scenario, as in adl.nats.test.ts: alice's
 * −503 USDC in partition 0, henry short in partition 1 takes her 0.1 BTC) leaves the pair
 * subaccounts long 0.1 in partition 0 and short 0.1 in partition 1 at 5,003 USDC. Before it, the
 * timer runs no round (no pair in the record); after it and a price move 45,000 → 50,000, a timed
 * round realizes the short pair's 500 USDC loss and pays it from the long pair's gain, with no
 * request from anyone; and a coordinator restarted within a slot runs no second round for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import {
  inPartition as kitInPartition,
  startTestCluster,
  stopTestCluster,
  type TestCluster,
  until,
} from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { Coordinator, pairTimerId, readCoordinatorLedger } from './coordinator.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB } from './partition.ts';

const READY =
  (await postgresAvailable('the pair timer tests')) && (await natsAvailable('the pair timer tests'));
const N = 2;
const running: TestCluster[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await stopTestCluster(c);
});

const inPartition = (prefix: string, partition: number) => kitInPartition(prefix, partition, N);
const [alice, bob, carol, dave, erin, backstop] = ['alice', 'bob', 'carol', 'dave', 'erin', 'backstop'].map(
  (p) => inPartition(p, 0),
) as [string, string, string, string, string, string];
const [henry, grace] = ['henry', 'grace'].map((p) => inPartition(p, 1)) as [string, string];

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const PAIR = `${ADL_CLEARING_ACCOUNT}/${ADL_PAIR_SUB}`;
const pair = (c: TestCluster, p: number) => c.workers[p]!.engine.state.subaccounts.get(PAIR);
const pairCash = (c: TestCluster, p: number) => pair(c, p)?.balances.get('USDC') ?? 0n;
const pairEntry = (c: TestCluster, p: number) => pair(c, p)?.positions.get('BTC-PERP')?.entryValue;
const rounds = async (c: TestCluster) => {
  const l = await readCoordinatorLedger(PG_URL, c.names);
  return new Set(l.pairSteps.map((s) => s.round)).size;
};
const allPaid = async (c: TestCluster) =>
  (await readCoordinatorLedger(PG_URL, c.names)).pairSteps.every((s) => s.status === 'paid');

async function ok(c: TestCluster, cmd: Record<string, unknown>): Promise<void> {
  expect(await c.client.submit(cmd)).toMatchObject({ ok: true });
}
async function mark(c: TestCluster, timeMs: number, px: string): Promise<void> {
  await ok(c, { type: 'prices', commandId: `px${timeMs}`, timeMs, marks: { 'BTC-PERP': px } });
  await until('the mark', () =>
    c.workers.every((w) => w.engine.state.markets.get('BTC-PERP')!.markPx8 === BigInt(px) * 10n ** 8n),
  );
}
function fill(c: TestCluster, id: string, buyer: string, seller: string, size: string, price: string) {
  return ok(c, {
    type: 'fill',
    commandId: id,
    market: 'BTC-PERP',
    buyer: { account: buyer },
    seller: { account: seller },
    size,
    price,
    taker: 'buyer',
  });
}

async function conserved(c: TestCluster) {
  const report = await checkConservation(PG_URL, c.names, N);
  expect(report.problems).toEqual([]);
  return report;
}

function restart(c: TestCluster, pairSettleIntervalMs: number): Promise<Coordinator> {
  return Coordinator.start({
    names: c.names,
    partitions: N,
    pgUrl: PG_URL,
    natsUrl: NATS_URL,
    settlement: { id: 'USDC', decimals: 6 },
    pairSettleIntervalMs,
  });
}

describe.runIf(READY)('the pair settlement timer (NATS JetStream + PostgreSQL)', () => {
  it('no round without a pair; after an ADL and a price move a timed round restores the losing pair; a restart within the slot runs no second round', async () => {
    const c = await startTestCluster({
      name: freshClusterName(),
      partitions: N,
      config: venueConfig({ backstop: { account: backstop } }),
      settlement: { id: 'USDC', decimals: 6 },
      pairSettleIntervalMs: 500,
    });
    running.push(c);
    // the scenario of adl.nats.test.ts: at 45,000 alice is 503 USDC under water, nobody in her
    // partition can take her long; henry (partition 1) is short 0.1 @ 60,000
    await mark(c, 1, '60000');
    const deposits: [string, string][] = [
      [backstop, '10000000'],
      [alice, '1000'],
      [bob, '100000'],
      [carol, '10000'],
      [dave, '10000'],
      [erin, '10000'],
      [grace, '100000'],
      [henry, '50000'],
    ];
    for (const [i, [who, amount]] of deposits.entries())
      await ok(c, { type: 'deposit', commandId: `d${i}`, to: { account: who }, asset: 'USDC', amount });
    await fill(c, 'f1', alice, bob, '0.1', '60000');
    await fill(c, 'g0', grace, henry, '0.1', '60000');
    await mark(c, 2, '44000');
    await fill(c, 'f2', bob, carol, '0.1', '44000');
    await fill(c, 'f3', erin, dave, '0.2', '44000');
    await mark(c, 3, '45000');
    // positions everywhere, no pair: the timer ticks and skips, no round is recorded
    await until('three skipped slots', () => c.coordinator.pairTimerCounts.skipped >= 3, 10_000);
    expect(c.coordinator.pairTimerCounts.published).toBe(0);
    expect(await rounds(c)).toBe(0);

    // alice liquidated: her 0.1 to a clearing subaccount at 5,003, henry takes it all, the
    // coordinator's ADL round settles the pairs at 45,000 (pair 0 paid its 503 from pair 1)
    await ok(c, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    await until('the pair positions', () => pairEntry(c, 0) !== undefined && pairEntry(c, 1) !== undefined);
    await until('the timer publishing', () => c.coordinator.pairTimerCounts.published >= 1, 20_000);
    await until('rounds done', () => allPaid(c));
    expect(pair(c, 0)!.positions.get('BTC-PERP')!.size).toBe(100_000_000n);
    expect(pair(c, 1)!.positions.get('BTC-PERP')!.size).toBe(-100_000_000n);
    expect(pairEntry(c, 0)).toBe(4_500_000_000n);
    expect(pairEntry(c, 1)).toBe(-4_500_000_000n);
    expect(pairCash(c, 0)).toBe(0n);
    expect(pairCash(c, 1)).toBe(0n);

    // the price moves: the short pair is 0.1 × (50,000 − 45,000) = 500 USDC under water until a
    // round; nobody asks for one, the timer's next slot runs it
    const before = c.coordinator.pairTimerCounts.published;
    await mark(c, 4, '50000');
    await until(
      'a timed round at 50,000',
      async () => pairEntry(c, 1) === -5_000_000_000n && pairCash(c, 1) === 0n && (await allPaid(c)),
      20_000,
    );
    expect(c.coordinator.pairTimerCounts.published).toBeGreaterThan(before);
    expect(pairEntry(c, 0)).toBe(5_000_000_000n);
    expect(pairCash(c, 0)).toBe(0n);
    const report = await conserved(c);
    expect(report.pairs).toEqual({ pool: 0n, out: 0n, pay: 0n });

    // a coordinator with a long slot runs one round for its slot at start; restarted within the
    // slot, the next one publishes the same request id and no round runs again
    const SLOT = 600_000;
    if (SLOT - (Date.now() % SLOT) < 20_000) await sleep(SLOT - (Date.now() % SLOT) + 100);
    await c.coordinator.stop();
    const n0 = await rounds(c);
    c.coordinator = await restart(c, SLOT);
    await until('the slot’s round', async () => (await rounds(c)) === n0 + 1 && (await allPaid(c)));
    const id = c.coordinator.pairTimerCounts.lastId;
    expect(id).toBe(pairTimerId(Date.now() - (Date.now() % SLOT)));
    await c.coordinator.stop();
    c.coordinator = await restart(c, SLOT);
    await until('the restarted timer publishing', () => c.coordinator.pairTimerCounts.published === 1);
    expect(c.coordinator.pairTimerCounts.lastId).toBe(id);
    await sleep(1500);
    expect(await rounds(c)).toBe(n0 + 1);
    const ids = [...c.workers[1]!.engine.state.commandIds.keys()].filter((k) =>
      k.startsWith(`pairs:${n0 + 2}:`),
    );
    expect(ids).toEqual([]);
    await conserved(c);
  }, 180_000);
});
