/**
 * Cross-partition ADL and socialized loss, order routing and the coordinator's bad input, against
 * the local NATS JetStream and PostgreSQL (each test on its own streams and schemas, removed
 * afterwards). The bankruptcy is the engine's own socialized-loss scenario (core/engine/
 * loss-ledger.test.ts: alice's −503 USDC, nobody in her partition able to absorb it); its
 * counterparties live in the other partition. Expected amounts are hand arithmetic from the
 * deposits, fills and marks of each test; after each, the conservation check must hold exactly.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { checkConservation } from './conservation.ts';
import { Coordinator, readCoordinatorLedger } from './coordinator.ts';
import { type ClusterNames, clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { ADL_ESCROW_SUB, COVER_ACCOUNT, partitionOf } from './partition.ts';
import { PartitionWorker } from './worker.ts';

const READY =
  (await postgresAvailable('the cluster ADL tests')) && (await natsAvailable('the cluster ADL tests'));
const N = 2;

interface Running {
  names: ClusterNames;
  workers: (PartitionWorker | undefined)[];
  coordinator: Coordinator;
  client: ClusterClient;
  config: unknown;
}
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await Promise.all(r.workers.map((w) => w?.stop()));
    await r.coordinator.stop();
    await r.client.bus.nc.close();
    await purgeCluster(PG_URL, NATS_URL, r.names, N);
  }
});

/** The first `prefix<i>` living in `partition`. */
function inPartition(prefix: string, partition: number): string {
  for (let i = 0; ; i++) if (partitionOf(`${prefix}${i}`, N) === partition) return `${prefix}${i}`;
}

const [alice, bob, carol, dave, erin, backstop] = ['alice', 'bob', 'carol', 'dave', 'erin', 'backstop'].map(
  (p) => inPartition(p, 0),
) as [string, string, string, string, string, string];
const [frank, henry, grace] = ['frank', 'henry', 'grace'].map((p) => inPartition(p, 1)) as [
  string,
  string,
  string,
];

function startWorker(r: Pick<Running, 'names' | 'config'>, p: number): Promise<PartitionWorker> {
  return PartitionWorker.start({
    names: r.names,
    partitions: N,
    pgUrl: PG_URL,
    natsUrl: NATS_URL,
    partition: p,
    config: r.config,
    snapshotEvery: 5,
  });
}

async function cluster(): Promise<Running> {
  const names = clusterNames(freshClusterName());
  const config = venueConfig({ backstop: { account: backstop } });
  const workers = await Promise.all([0, 1].map((p) => startWorker({ names, config }, p)));
  const coordinator = await Coordinator.start({
    names,
    partitions: N,
    pgUrl: PG_URL,
    natsUrl: NATS_URL,
    settlement: { id: 'USDC', decimals: 6 },
  });
  const client = new ClusterClient(await connectBus(NATS_URL), names, N);
  const r: Running = { names, workers, coordinator, client, config };
  running.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

async function until(what: string, test: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** USDC units of one subaccount (`sub`) of an account, or of all of its subaccounts. */
async function usdc(r: Running, account: string, sub?: string): Promise<bigint> {
  const q = await r.client.query(account === COVER_ACCOUNT ? 0 : partitionOf(account, N), account);
  return (q.subaccounts ?? [])
    .filter((x) => sub === undefined || x.sub === sub)
    .reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
}

async function ok(r: Running, c: Record<string, unknown>): Promise<void> {
  expect(await r.client.submit(c)).toMatchObject({ ok: true });
}

let broadcasts = 0;
async function mark(r: Running, timeMs: number, px: string, live = [0, 1]): Promise<void> {
  await ok(r, { type: 'prices', timeMs, marks: { 'BTC-PERP': px }, commandId: `px${timeMs}` });
  broadcasts = timeMs;
  await until('the broadcast', async () =>
    live.every((p) => r.workers[p]!.status().broadcastHighWater === broadcasts),
  );
}

function fill(
  r: Running,
  id: string,
  buyer: string,
  seller: string,
  size: string,
  price: string,
  taker = 'buyer',
) {
  return ok(r, {
    type: 'fill',
    commandId: id,
    market: 'BTC-PERP',
    buyer: { account: buyer },
    seller: { account: seller },
    size,
    price,
    taker,
  });
}

/**
 * Partition 0: alice long 0.1 @ 60,000 (balance 997 after the 3 USDC fee), bob closed, carol and
 * dave short @ 44,000 (losing at 45,000): at 45,000 alice's net value is −503 USDC. Partition 1:
 * the shorts `shorts` (each 0.01 @ 60,000 to grace, maker fee 0.12 USDC) with their deposits.
 * Ends at mark 45,000, before alice is liquidated.
 */
async function scenario(r: Running, shorts: [string, string][]): Promise<void> {
  await mark(r, 1, '60000');
  await ok(r, {
    type: 'deposit',
    commandId: 'd0',
    to: { account: backstop },
    asset: 'USDC',
    amount: '10000000',
  });
  const deposits: [string, string][] = [
    [alice, '1000'],
    [bob, '100000'],
    [carol, '10000'],
    [dave, '10000'],
    [erin, '10000'],
    [grace, '100000'],
    ...shorts,
  ];
  for (const [i, [who, amount]] of deposits.entries()) {
    await ok(r, { type: 'deposit', commandId: `d${i + 1}`, to: { account: who }, asset: 'USDC', amount });
  }
  await fill(r, 'f1', alice, bob, '0.1', '60000');
  for (const [i, [who]] of shorts.entries()) await fill(r, `g${i}`, grace, who, '0.01', '60000');
  await mark(r, 2, '44000');
  await fill(r, 'f2', bob, carol, '0.1', '44000', 'seller');
  await fill(r, 'f3', erin, dave, '0.2', '44000');
  await mark(r, 3, '45000');
}

async function conserved(r: Running) {
  const report = await checkConservation(PG_URL, r.names, N);
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  return report;
}

describe.runIf(READY)('cross-partition ADL and socialized loss (NATS JetStream + PostgreSQL)', () => {
  it('what the fund cannot pay is taken from the other partition, best ADL rank first, once', async () => {
    const r = await cluster();
    // frank (1,000 USDC) and henry (50,000) are both short 0.01 @ 60,000: at 45,000 each has 150
    // of profit; frank's leverage is higher (equity 1,149.88 against 50,149.88), so he ranks first
    await scenario(r, [
      [henry, '50000'],
      [frank, '1000'],
    ]);
    // the fund holds 300 USDC: 503 − 300 = 203 goes to ADL: frank's 150, then 53 of henry's
    expect(await r.client.coordinator({ type: 'fund', id: 'f1', amount: '300000000' }, 'f1')).toMatchObject({
      ok: true,
    });
    await ok(r, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    expect(r.workers[0]!.status().shortfall).toBe('503000000');
    await until('the ADL cover', async () => (await usdc(r, COVER_ACCOUNT)) === 503_000_000n);
    expect(await usdc(r, frank, ADL_ESCROW_SUB)).toBe(150_000_000n);
    expect(await usdc(r, henry, ADL_ESCROW_SUB)).toBe(53_000_000n);
    expect(await usdc(r, frank, '0')).toBe(1_000_000_000n - 120_000n - 150_000_000n);
    expect(await usdc(r, henry, '0')).toBe(50_000_000_000n - 120_000n - 53_000_000n);
    // a leg delivered again (a new message id, the same command id): the engine's first outcome
    const again = await r.client.submitRaw(
      r.names.commandSubject(1),
      {
        type: 'transfer',
        commandId: 'adl:0:503000000:0',
        from: { account: frank, sub: '0' },
        to: { account: frank, sub: ADL_ESCROW_SUB },
        asset: 'USDC',
        amount: '150',
      },
      'redelivered-leg',
    );
    expect(again).toMatchObject({ ok: true, replayed: true });
    // the same leg sent to the wrong partition: refused before the engine
    const hash0 = r.workers[0]!.status().stateHash;
    const wrong = await r.client.submitRaw(
      r.names.commandSubject(0),
      {
        type: 'transfer',
        commandId: 'adl:0:503000000:9',
        from: { account: frank, sub: '0' },
        to: { account: frank, sub: ADL_ESCROW_SUB },
        asset: 'USDC',
        amount: '1',
      },
      'wrong-leg',
    );
    expect(wrong).toMatchObject({ ok: false, cluster: true, rejection: { code: 'WRONG_PARTITION' } });
    expect(r.workers[0]!.status().stateHash).toBe(hash0);
    // the worker restarts and asks again: answered from the record, nothing taken twice
    await r.workers[0]!.stop();
    r.workers[0] = await startWorker(r, 0);
    await sleep(500);
    expect(await usdc(r, frank, ADL_ESCROW_SUB)).toBe(150_000_000n);
    expect(await usdc(r, COVER_ACCOUNT)).toBe(503_000_000n);
    const report = await conserved(r);
    expect(report.fund).toEqual({ balance: 0n, funded: 300_000_000n, paid: 300_000_000n });
    expect(report.adl).toEqual({ collected: 203_000_000n, paid: 203_000_000n, pending: 0n });
    expect(report.inFlight).toBe(0n);
    expect(report.partitions.map((p) => p.escrow)).toEqual([0n, 203_000_000n]);
  });

  it('a partition down mid-protocol (and the coordinator restarted): its leg waits and applies once; the rest stays socialized', async () => {
    const r = await cluster();
    // frank alone, 150 of profit at 45,000; no fund: ADL takes 150, 503 − 150 = 353 stays written off
    await scenario(r, [[frank, '1000']]);
    const ranks = (
      await r.client.bus.nc.request(
        r.names.querySubject(1),
        JSON.stringify({ ranks: { market: 'BTC-PERP', side: 'long' } }),
        { timeout: 5000 },
      )
    ).json<{ ranks: unknown[] }>().ranks;
    expect(ranks).toMatchObject([{ partition: 1, account: frank, available: '150000000' }]);
    // partition 1 goes down after publishing its ranks (a stand-in answers the rank query with them)
    await r.workers[1]!.stop();
    r.workers[1] = undefined;
    const standIn = r.client.bus.nc.subscribe(r.names.querySubject(1), {
      callback: (_e, m) => {
        m.respond(JSON.stringify({ ranks }));
      },
    });
    await ok(r, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    // the coordinator planned the leg; nobody applies it yet: nothing paid, money still conserved
    await until('the planned leg', async () => {
      const l = await readCoordinatorLedger(PG_URL, r.names);
      return l.pending.get(1) === 150_000_000n;
    });
    await sleep(6000); // past the coordinator's wait for the leg: it will ask again later
    expect(await usdc(r, COVER_ACCOUNT)).toBe(0n);
    const mid = await conserved(r);
    expect(mid.adl).toEqual({ collected: 0n, paid: 0n, pending: 150_000_000n });
    // the coordinator stops and starts again mid-protocol: the request comes again, the recorded
    // plan is reused (the stand-in is gone, so ranking again would find nobody)
    standIn.unsubscribe();
    await r.coordinator.stop();
    r.coordinator = await Coordinator.start({
      names: r.names,
      partitions: N,
      pgUrl: PG_URL,
      natsUrl: NATS_URL,
      settlement: { id: 'USDC', decimals: 6 },
    });
    await sleep(1500);
    r.workers[1] = await startWorker(r, 1);
    await until('the ADL cover', async () => (await usdc(r, COVER_ACCOUNT)) === 150_000_000n);
    expect(await usdc(r, frank, ADL_ESCROW_SUB)).toBe(150_000_000n);
    expect(await usdc(r, frank, '0')).toBe(1_000_000_000n - 120_000n - 150_000_000n);
    const report = await conserved(r);
    expect(report.adl).toEqual({ collected: 150_000_000n, paid: 150_000_000n, pending: 0n });
    expect(report.partitions[0]!.shortfall).toBe(503_000_000n);
    expect(report.partitions[0]!.cover).toBe(150_000_000n);
    // the coordinator's answer, asked again: 0 from the fund, 150 by ADL, 353 socialized
    expect(
      await r.client.coordinator(
        { type: 'shortfall', partition: 0, total: '503000000', market: 'BTC-PERP', side: 'long' },
        'ask-again',
      ),
    ).toMatchObject({ ok: true, replayed: true, paid: '0', adl: '150000000', socialized: '353000000' });
  });

  it('routes amend and cancel to the order subaccount partition and refuses another subaccount order', async () => {
    const r = await cluster();
    const [a0, a1] = ['a', 'b'].map((p) => inPartition(p, 0)) as [string, string];
    await mark(r, 1, '60000');
    await ok(r, { type: 'deposit', commandId: 'd1', to: { account: a0 }, asset: 'USDC', amount: '10000' });
    await ok(r, { type: 'deposit', commandId: 'd2', to: { account: a1 }, asset: 'USDC', amount: '10000' });
    const order = { orderId: 'o1', market: 'BTC-PERP', side: 'buy', size: '0.01', price: '59000' };
    await ok(r, { type: 'place_order', commandId: 'o1', subaccount: { account: a0 }, ...order });
    const before = r.workers[0]!.status();
    const other = await r.client.submit({
      type: 'cancel_order',
      commandId: 'c1',
      orderId: 'o1',
      subaccount: { account: a1 },
    });
    expect(other).toMatchObject({ ok: false, cluster: true, rejection: { code: 'ORDER_NOT_OWNED' } });
    expect(r.workers[0]!.status().stateHash).toBe(before.stateHash);
    const bare = await r.client.submit({ type: 'cancel_order', commandId: 'c2', orderId: 'o1' });
    expect(bare).toMatchObject({ ok: false, rejection: { code: 'UNROUTABLE_COMMAND' } });
    await ok(r, {
      type: 'amend_order',
      commandId: 'a1',
      orderId: 'o1',
      price: '58000',
      subaccount: { account: a0 },
    });
    expect(r.workers[0]!.engine.state.orders.get('o1')?.pricePx8).toBe(58_000n * 10n ** 8n);
    await ok(r, { type: 'cancel_order', commandId: 'c3', orderId: 'o1', subaccount: { account: a0 } });
    expect(r.workers[0]!.engine.state.orders.has('o1')).toBe(false);
    await conserved(r);
  });

  it('refuses a malformed shortfall and an unknown scope, changing nothing', async () => {
    const r = await cluster();
    const before = await readCoordinatorLedger(PG_URL, r.names);
    expect(
      await r.client.coordinator(
        { type: 'shortfall', partition: 0, total: '5', market: 'BTC-PERP', side: 'up' },
        'm1',
      ),
    ).toMatchObject({ ok: false, rejection: { code: 'MALFORMED_MESSAGE' } });
    expect(
      await r.client.coordinator(
        { type: 'shortfall', partition: 7, total: '5', market: 'BTC-PERP', side: 'long' },
        'm2',
      ),
    ).toMatchObject({ ok: false, rejection: { code: 'UNKNOWN_SCOPE' } });
    expect(await readCoordinatorLedger(PG_URL, r.names)).toEqual(before);
    // a rank query that is not one: a typed error, no ranks
    const bad = (
      await r.client.bus.nc.request(r.names.querySubject(0), JSON.stringify({ ranks: { market: 5 } }), {
        timeout: 5000,
      })
    ).json<{ error?: string; ranks?: unknown }>();
    expect(bad.error).toMatch(/ranks/);
    expect(bad.ranks).toBeUndefined();
    await conserved(r);
  });

  it('old broadcasts delivered again out of order are refused as stale, the state unchanged', async () => {
    const r = await cluster();
    await mark(r, 1, '60000');
    await mark(r, 2, '61000');
    await mark(r, 3, '60500');
    await r.workers[1]!.stop();
    const before = r.workers[1]!.status();
    expect(before.broadcastHighWater).toBe(3);
    // the partition's broadcast consumer rewound to the start: broadcasts 1, 2, 3 come again
    const durable = r.names.consumer(1);
    await r.client.bus.jsm.consumers.delete(r.names.broadcastStream, durable);
    await r.client.bus.jsm.consumers.add(r.names.broadcastStream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: 1,
      filter_subject: r.names.broadcastSubject,
      ack_wait: nanos(30_000),
    });
    r.workers[1] = await startWorker(r, 1);
    await until('the redelivered broadcasts acked', async () => {
      const info = await r.client.bus.jsm.consumers.info(r.names.broadcastStream, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq === 3;
    });
    const after = r.workers[1]!.status();
    expect(after.stateHash).toBe(before.stateHash);
    expect(after.seq).toBe(before.seq);
    expect(after.broadcastHighWater).toBe(3);
    expect(after.applied).toBe(0);
    expect(r.workers[1]!.engine.state.markets.get('BTC-PERP')?.markPx8).toBe(60_500n * 10n ** 8n);
    await conserved(r);
  });
});
