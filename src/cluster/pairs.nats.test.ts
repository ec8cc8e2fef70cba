/**
 * Pair settlement through the coordinator against the local NATS JetStream and PostgreSQL: two
 * partitions' pair subaccounts hold 0.1 BTC long and short (two `adl:` legs, as the coordinator's
 * ADL leaves them), the price moves 60,000 → 65,000, and a `settle_pairs` round moves the 500
 * USDC the short pair lost from the long pair's partition to the short's. Then the round is asked
 * for again and a step is redelivered (each applied once), and a round is interrupted by a
 * partition down and a coordinator restart, and resumes from its record. The conservation check
 * holds exactly at every step, with the round's money in flight. The gateway's merged open
 * interest leaves the pair positions out and reports them beside it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import {
  inPartition as kitInPartition,
  startTestCluster,
  startTestWorker,
  stopTestCluster,
  type TestCluster,
  until,
} from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { Coordinator, readCoordinatorLedger } from './coordinator.ts';
import { gatewayApp } from './gateway.ts';
import { pairsCommandId, payCommand } from './pairs.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB } from './partition.ts';

const READY =
  (await postgresAvailable('the pair settlement tests')) &&
  (await natsAvailable('the pair settlement tests'));
const N = 2;
const running: TestCluster[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await stopTestCluster(c);
});

const inPartition = (prefix: string, partition: number) => kitInPartition(prefix, partition, N);
const [u0, m0] = [inPartition('u', 0), inPartition('m', 0)];
const [s1, m1] = [inPartition('s', 1), inPartition('m', 1)];
const PAIR = `${ADL_CLEARING_ACCOUNT}/${ADL_PAIR_SUB}`;
const pairCash = (c: TestCluster, p: number) =>
  c.workers[p]!.engine.state.subaccounts.get(PAIR)?.balances.get('USDC') ?? 0n;
const pairEntry = (c: TestCluster, p: number) =>
  c.workers[p]!.engine.state.subaccounts.get(PAIR)?.positions.get('BTC-PERP')?.entryValue;

async function conserved(c: TestCluster) {
  const report = await checkConservation(PG_URL, c.names, N);
  expect(report.problems).toEqual([]);
  return report;
}

let t = 0;
async function mark(c: TestCluster, px: string): Promise<void> {
  t += 1;
  expect(
    await c.client.submit({ type: 'prices', commandId: `px${t}`, timeMs: t, marks: { 'BTC-PERP': px } }),
  ).toMatchObject({ ok: true });
  await until('the mark', () =>
    c.workers.every((w) => w.engine.state.markets.get('BTC-PERP')!.markPx8 === BigInt(px) * 10n ** 8n),
  );
}

/** u0 long 1 BTC in partition 0, s1 short 1 BTC in partition 1, then 0.1 of each moved to the pairs. */
async function pairs(): Promise<TestCluster> {
  t = 0;
  const c = await startTestCluster({
    name: freshClusterName(),
    partitions: N,
    config: venueConfig(),
    settlement: { id: 'USDC', decimals: 6 },
  });
  running.push(c);
  await mark(c, '60000');
  for (const [i, who] of [u0, m0, s1, m1].entries())
    expect(
      await c.client.submit({
        type: 'deposit',
        commandId: `d${i}`,
        to: { account: who },
        asset: 'USDC',
        amount: '100000',
      }),
    ).toMatchObject({ ok: true });
  for (const [id, buyer, seller] of [
    ['f0', u0, m0],
    ['f1', m1, s1],
  ] as const)
    expect(
      await c.client.submit({
        type: 'fill',
        commandId: id,
        market: 'BTC-PERP',
        buyer: { account: buyer },
        seller: { account: seller },
        size: '1',
        price: '60000',
      }),
    ).toMatchObject({ ok: true });
  const leg = {
    type: 'adl_leg',
    market: 'BTC-PERP',
    size: '0.1',
    value: '6000',
    clearing: { account: ADL_CLEARING_ACCOUNT },
  };
  expect(
    await c.client.submitRaw(
      c.names.commandSubject(0),
      { ...leg, commandId: 'adl:t:0', subaccount: { account: u0 }, side: 'long' },
      'leg0',
    ),
  ).toMatchObject({ ok: true });
  expect(
    await c.client.submitRaw(
      c.names.commandSubject(1),
      { ...leg, commandId: 'adl:t:1', subaccount: { account: s1 }, side: 'short' },
      'leg1',
    ),
  ).toMatchObject({ ok: true });
  return c;
}

describe.runIf(READY)('pair settlement through the coordinator (NATS JetStream + PostgreSQL)', () => {
  it('moves the short pair’s 500 USDC hole from the long pair’s surplus; asked again or redelivered, applied once', async () => {
    const c = await pairs();
    await mark(c, '65000');
    await conserved(c);
    const first = await c.client.coordinator({ type: 'settle_pairs', id: 'r1' }, 'r1', 30_000);
    // 0.1 × (65,000 − 60,000) = 500 USDC, by hand
    expect(first).toMatchObject({
      ok: true,
      kind: 'pairs_settled',
      round: 1,
      collected: '500000000',
      paid: '500000000',
      pool: '0',
    });
    expect(pairCash(c, 0)).toBe(0n);
    expect(pairCash(c, 1)).toBe(0n);
    expect(pairEntry(c, 0)).toBe(6_500_000_000n);
    expect(pairEntry(c, 1)).toBe(-6_500_000_000n);
    const report = await conserved(c);
    expect(report.pairs).toEqual({ pool: 0n, out: 0n, pay: 0n });
    const hashes = c.workers.map((w) => w.engine.stateHash());
    // the same request again (a new message id): the recorded round, nothing sent twice
    const again = await c.client.coordinator({ type: 'settle_pairs', id: 'r1' }, 'r1-again', 30_000);
    expect(again).toMatchObject({
      ok: true,
      round: 1,
      collected: '500000000',
      paid: '500000000',
      replayed: true,
    });
    // a step redelivered to its partition: the engine's first outcome, nothing applied again
    const pay = payCommand(1, 1, 'USDC', 6, 500_000_000n);
    expect(await c.client.submitRaw(c.names.commandSubject(1), pay, 'pay-again')).toMatchObject({
      ok: true,
      replayed: true,
    });
    expect(c.workers.map((w) => w.engine.stateHash())).toEqual(hashes);
    // a settlement for a subaccount that is not there (no such pair): typed, nothing changes
    const bad = await c.client.submitRaw(
      c.names.commandSubject(0),
      {
        type: 'settle_clearing',
        commandId: 'pairs:x:0',
        subaccount: { account: ADL_CLEARING_ACCOUNT, sub: '9' },
        transit: { account: ADL_CLEARING_ACCOUNT, sub: 't' },
      },
      'bad-sub',
    );
    expect(bad).toMatchObject({ ok: false, rejection: { code: 'UNKNOWN_SUBACCOUNT' } });
    // one not of the clearing account: never reaches the engine unrouted (a client may not send one)
    const foreign = await c.client.submit({
      type: 'settle_clearing',
      commandId: 'pairs:x:1',
      subaccount: { account: u0 },
      transit: { account: u0, sub: 't' },
    });
    expect(foreign).toMatchObject({ ok: false });
    // a request for an unknown partition, or malformed: typed
    expect(
      await c.client.coordinator({ type: 'settle_pairs', id: 'r2', partition: 7 }, 'r2-bad'),
    ).toMatchObject({
      ok: false,
      rejection: { code: 'MALFORMED_MESSAGE' },
    });
    expect(c.workers[0]!.engine.stateHash()).not.toBe(''); // worker 0 remembers the refused id only
    expect(c.workers[1]!.engine.stateHash()).toBe(hashes[1]);
    await conserved(c);
    // the gateway: open interest is the traders' (u0 0.9 + m1 1 long), the pair's 0.1 beside it
    const app = gatewayApp(c.client);
    const get = async (path: string) => (await app.request(path)).json() as Promise<Record<string, unknown>>;
    expect(await get('/v1/markets/BTC-PERP')).toMatchObject({
      openInterest: '1.9',
      clearingOpenInterest: '0.1',
    });
    const listed = (await get('/v1/markets')).markets as Record<string, unknown>[];
    expect(listed.find((m) => m.symbol === 'BTC-PERP')).toMatchObject({
      openInterest: '1.9',
      clearingOpenInterest: '0.1',
    });
    const ov = (await get('/v1/dashboard/overview')).markets as Record<string, unknown>[];
    expect(ov.find((m) => m.symbol === 'BTC-PERP')).toMatchObject({
      openInterest: '1.9',
      clearingOpenInterest: '0.1',
    });
  }, 120_000);

  it('a round interrupted (a partition down, the coordinator restarted) resumes from its record: each step once, conserved in flight', async () => {
    const c = await pairs();
    await mark(c, '55000'); // the long pair (partition 0) loses 500, the short pair gains it
    await c.workers[0]!.stop();
    // partition 0 does not answer: the request waits (nak), partition 1's surplus already out
    const pending = c.client.coordinator({ type: 'settle_pairs', id: 'r1' }, 'r1', 2_000);
    expect(await pending).toMatchObject({ ok: 'pending' });
    await until('partition 1 collected', async () => {
      const l = await readCoordinatorLedger(PG_URL, c.names);
      return l.pairSteps.some((s) => s.partition === 1 && s.status === 'out');
    });
    const mid = await conserved(c);
    expect(mid.pairs.pool).toBe(500_000_000n);
    // the coordinator crashes and comes back; partition 0 comes back
    await c.coordinator.stop();
    c.coordinator = await Coordinator.start({
      names: c.names,
      partitions: N,
      pgUrl: PG_URL,
      natsUrl: NATS_URL,
      settlement: { id: 'USDC', decimals: 6 },
    });
    c.workers[0] = await startTestWorker(c, 0);
    await until(
      'the round done',
      async () => {
        const l = await readCoordinatorLedger(PG_URL, c.names);
        return l.pairSteps.length === 2 && l.pairSteps.every((s) => s.status === 'paid');
      },
      60_000,
    );
    expect(pairCash(c, 0)).toBe(0n);
    expect(pairCash(c, 1)).toBe(0n);
    const ids = [...c.workers[1]!.engine.state.commandIds.keys()].filter((k) => k.startsWith('pairs:'));
    expect(ids.sort()).toEqual([pairsCommandId(1, 1, 'settle'), pairsCommandId(1, 1, 'out')].sort());
    const report = await conserved(c);
    expect(report.pairs).toEqual({ pool: 0n, out: 0n, pay: 0n });
  }, 180_000);
});
