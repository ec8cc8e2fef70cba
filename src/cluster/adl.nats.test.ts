/**
 * Cross-partition ADL and socialized loss, order routing and the coordinator's bad input, against
 * the local NATS JetStream and PostgreSQL (each test on its own streams and schemas, removed
 * afterwards). The bankruptcy is the engine's own socialized-loss scenario (core/engine/
 * loss-ledger.test.ts: alice's −503 USDC, nobody in her partition able to absorb it); its
 * counterparties live in the other partition. Each ADL test plays the same commands in one
 * engine and compares every account's balances and positions; expected amounts are hand
 * arithmetic; after each, the conservation check must hold exactly.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { Engine } from '../core/engine/engine.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { inPartition as kitInPartition, until } from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { Coordinator, readCoordinatorLedger } from './coordinator.ts';
import { type ClusterNames, clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { ADL_CLEARING_ACCOUNT, COVER_ACCOUNT, partitionOf } from './partition.ts';
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
  /** One engine given every command the cluster is given (the single process to compare with). */
  single: Engine;
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
const inPartition = (prefix: string, partition: number) => kitInPartition(prefix, partition, N);

const [alice, bob, carol, dave, erin, backstop] = ['alice', 'bob', 'carol', 'dave', 'erin', 'backstop'].map(
  (p) => inPartition(p, 0),
) as [string, string, string, string, string, string];
const [frank, henry, grace, gabe] = ['frank', 'henry', 'grace', 'gabe'].map((p) => inPartition(p, 1)) as [
  string,
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
    pairSettleIntervalMs: 0, // these tests count rounds and state hashes: the timer has its own (pairs-timer)
  });
  const client = new ClusterClient(await connectBus(NATS_URL), names, N);
  const r: Running = { names, workers, coordinator, client, config, single: Engine.create(config) };
  running.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** USDC units of one subaccount (`sub`) of an account, or of all of its subaccounts. */
async function usdc(r: Running, account: string, sub?: string): Promise<bigint> {
  const q = await r.client.query(account === COVER_ACCOUNT ? 0 : partitionOf(account, N), account);
  return (q.subaccounts ?? [])
    .filter((x) => sub === undefined || x.sub === sub)
    .reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
}

async function ok(r: Running, c: Record<string, unknown>): Promise<void> {
  expect(await r.client.submit(c)).toMatchObject({ ok: true });
  r.single.executeOrThrow(c);
}

/** Per account (cover and clearing accounts aside): each subaccount's balances and position sizes. */
async function accounts(r: Running, who: readonly string[]) {
  const cluster: Record<string, unknown> = {};
  const single: Record<string, unknown> = {};
  for (const a of who) {
    const q = await r.client.query(partitionOf(a, N), a);
    cluster[a] = (q.subaccounts ?? []).map((x) => ({
      sub: x.sub,
      balances: Object.fromEntries(Object.entries(x.balances).filter(([, v]) => v !== '0')),
      positions: Object.fromEntries(Object.entries(x.positions).filter(([, v]) => v !== '0')),
    }));
    single[a] = [...r.single.state.subaccounts.values()]
      .filter((x) => x.ref.account === a)
      .map((x) => ({
        sub: x.ref.sub,
        balances: Object.fromEntries(
          [...x.balances].filter(([, v]) => v !== 0n).map(([k, v]) => [k, String(v)]),
        ),
        positions: Object.fromEntries(
          [...x.positions].filter(([, p]) => p.size !== 0n).map(([k, p]) => [k, String(p.size)]),
        ),
      }));
  }
  return { cluster, single };
}

/** Position size (qty9) of an account's subaccount 0 in BTC-PERP, in the cluster. */
async function btc(r: Running, account: string): Promise<bigint> {
  const q = await r.client.query(partitionOf(account, N), account);
  return BigInt(q.subaccounts?.find((x) => x.sub === '0')?.positions['BTC-PERP'] ?? '0');
}

const Q = 10n ** 9n;
const EVERYONE = [alice, bob, carol, dave, erin, backstop, frank, henry, grace, gabe];

async function clearingDone(r: Running) {
  await until(
    'the clearing position deleveraged',
    async () => {
      const l = await readCoordinatorLedger(PG_URL, r.names);
      return l.clearings.length === 1 && l.clearings[0]!.state === 'done';
    },
    60_000,
  );
  return (await readCoordinatorLedger(PG_URL, r.names)).clearings[0]!;
}

let broadcasts = 0;
async function mark(r: Running, timeMs: number, px: string, live = [0, 1]): Promise<void> {
  await ok(r, { type: 'prices', timeMs, marks: { 'BTC-PERP': px }, commandId: `px${timeMs}` });
  expect(r.single.state.markets.get('BTC-PERP')?.markPx8).toBe(BigInt(px) * 10n ** 8n);
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
 * the shorts `shorts` (each `size`, default 0.01, @ 60,000 to grace) with their deposits.
 * Ends at mark 45,000, before alice is liquidated.
 */
async function scenario(r: Running, shorts: [string, string, string?][]): Promise<void> {
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
    [gabe, '100000'],
    ...shorts.map(([w, a]) => [w, a] as [string, string]),
  ];
  for (const [i, [who, amount]] of deposits.entries()) {
    await ok(r, { type: 'deposit', commandId: `d${i + 1}`, to: { account: who }, asset: 'USDC', amount });
  }
  await fill(r, 'f1', alice, bob, '0.1', '60000');
  for (const [i, [who, , size]] of shorts.entries())
    await fill(r, `g${i}`, grace, who, size ?? '0.01', '60000');
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
  it('closes the bankrupt position against the other partition best rank first, as one engine does', async () => {
    const r = await cluster();
    // frank (1,000 USDC) and henry (50,000) are both short 0.01 @ 60,000; frank's leverage is
    // higher (equity 1,149.88 against 50,149.88), so he ranks first
    await scenario(r, [
      [henry, '50000'],
      [frank, '1000'],
    ]);
    // the coordinator's fund holds 300 USDC (it pays what even ADL leaves written off)
    expect(await r.client.coordinator({ type: 'fund', id: 'f1', amount: '300000000' }, 'f1')).toMatchObject({
      ok: true,
    });
    await ok(r, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    // alice's 0.1 closed in her partition at the bankruptcy value 4,500 + 503 = 5,003 to a
    // clearing subaccount; frank then henry take 0.01 each for 500.3 (sold for 600: +99.7 each),
    // nobody the last 0.08: the clearing subaccount is liquidated to the backstop at the mark
    // (3,600), 503 × 8/10 = 402.4 written off, 300 of it paid by the fund
    const rec = await clearingDone(r);
    expect(rec).toMatchObject({
      side: 'long',
      size: Q / 10n,
      value: 5_003_000_000n,
      applied: Q / 50n,
      rest: (8n * Q) / 100n,
    });
    expect(rec.appliedValue).toBe(1_000_600_000n);
    await until('the fund cover', async () => (await usdc(r, COVER_ACCOUNT)) === 300_000_000n);
    expect(await btc(r, frank)).toBe(0n);
    expect(await btc(r, henry)).toBe(0n);
    expect(await btc(r, backstop)).toBe((8n * Q) / 100n);
    expect(await usdc(r, frank, '0')).toBe(1_000_000_000n - 120_000n + 99_700_000n);
    const { cluster: got, single } = await accounts(r, EVERYONE);
    expect(got).toEqual(single);
    expect(r.workers[0]!.status().shortfall).toBe('402400000');
    expect(-r.single.state.socializedLedger).toBe(402_400_000n);
    // a leg delivered again (a new message id, the same command id): the engine's first outcome
    const leg = {
      type: 'adl_leg',
      commandId: `adl:0:${rec.sub}:0`,
      market: 'BTC-PERP',
      subaccount: { account: frank },
      side: 'short',
      size: '0.01',
      value: '500.3',
      clearing: { account: ADL_CLEARING_ACCOUNT },
    };
    expect(await r.client.submitRaw(r.names.commandSubject(1), leg, 'redelivered-leg')).toMatchObject({
      ok: true,
      replayed: true,
    });
    // the same leg sent to the wrong partition: refused before the engine
    const hash0 = r.workers[0]!.status().stateHash;
    const wrong = await r.client.submitRaw(
      r.names.commandSubject(0),
      { ...leg, commandId: 'adl:x:1' },
      'wrong-leg',
    );
    expect(wrong).toMatchObject({ ok: false, cluster: true, rejection: { code: 'WRONG_PARTITION' } });
    expect(r.workers[0]!.status().stateHash).toBe(hash0);
    // a leg for an unknown scope, and for one with no opposite position: typed, nothing moves
    const unknown = await r.client.submitRaw(
      r.names.commandSubject(1),
      { ...leg, commandId: 'adl:x:2', subaccount: { account: frank, sub: '9' } },
      'unknown-leg',
    );
    expect(unknown).toMatchObject({ ok: false, rejection: { code: 'UNKNOWN_SUBACCOUNT' } });
    const none = await r.client.submitRaw(
      r.names.commandSubject(1),
      { ...leg, commandId: 'adl:x:3', subaccount: { account: grace } }, // grace is long
      'no-opposite-leg',
    );
    expect(none).toMatchObject({ ok: false, rejection: { code: 'NOT_LIQUIDATABLE' } });
    // a client may not send one at all
    expect(await r.client.submit({ ...leg, commandId: 'c-leg' })).toMatchObject({
      ok: false,
      rejection: { code: 'RESERVED_ACCOUNT' },
    });
    expect((await accounts(r, EVERYONE)).cluster).toEqual(got);
    // the worker restarts and reports its clearing subaccount again: answered from the record
    await r.workers[0]!.stop();
    r.workers[0] = await startWorker(r, 0);
    expect(r.workers[0].engine.state.config.adlClearing).toEqual({ account: ADL_CLEARING_ACCOUNT });
    await sleep(500);
    expect((await accounts(r, EVERYONE)).cluster).toEqual(got);
    const report = await conserved(r);
    expect(report.fund).toEqual({ balance: 0n, funded: 300_000_000n, paid: 300_000_000n });
    expect(report.adl).toEqual({ 'BTC-PERP': { clearing: 0n, inFlight: 0n } });
    expect(report.inFlight).toBe(0n);
  });

  it('a counterparty that shrank and a partition down mid-protocol (the coordinator restarted): the leg clamps once, the rest is ranked again', async () => {
    const r = await cluster();
    await scenario(r, [
      [frank, '10000', '0.05'],
      [henry, '50000', '0.05'],
    ]);
    const ranks = (
      await r.client.bus.nc.request(
        r.names.querySubject(1),
        JSON.stringify({ ranks: { market: 'BTC-PERP', side: 'long' } }),
        { timeout: 5000 },
      )
    ).json<{ ranks: unknown[] }>().ranks;
    expect(ranks).toMatchObject([
      { partition: 1, account: frank, size: String(Q / 20n) },
      { partition: 1, account: henry, size: String(Q / 20n) },
    ]);
    // frank buys back 0.03 of his 0.05 after ranking; then partition 1 goes down (a stand-in
    // answers the rank query with the ranks it had published)
    await fill(r, 'shrink', frank, gabe, '0.03', '45000');
    await r.workers[1]!.stop();
    r.workers[1] = undefined;
    const standIn = r.client.bus.nc.subscribe(r.names.querySubject(1), {
      callback: (_e, m) => {
        m.respond(JSON.stringify({ ranks }));
      },
    });
    await ok(r, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    // the coordinator planned frank 0.05 and henry 0.05; nobody applies them yet
    await until('the planned legs', async () => {
      const l = await readCoordinatorLedger(PG_URL, r.names);
      return l.clearings[0]?.pending === Q / 10n;
    });
    await sleep(6000); // past the coordinator's wait for the leg: it will ask again later
    const mid = await conserved(r);
    expect(mid.adl['BTC-PERP']).toEqual({ clearing: Q / 10n, inFlight: Q / 10n });
    // the coordinator stops and starts again mid-protocol: the recorded plan is reused
    standIn.unsubscribe();
    await r.coordinator.stop();
    r.coordinator = await Coordinator.start({
      names: r.names,
      partitions: N,
      pgUrl: PG_URL,
      natsUrl: NATS_URL,
      settlement: { id: 'USDC', decimals: 6 },
      pairSettleIntervalMs: 0,
    });
    await sleep(1500);
    r.workers[1] = await startWorker(r, 1);
    // frank's leg clamps to his 0.02 (1,000.6 of the 2,501.5 planned), henry's takes 0.05
    // (2,501.5); ranked again, nobody has the last 0.03: liquidated to the backstop at 1,350,
    // 1,500.9 − 1,350 = 150.9 written off (in one engine: 503 − 503 × 7/10)
    const rec = await clearingDone(r);
    expect(rec).toMatchObject({
      applied: (7n * Q) / 100n,
      appliedValue: 3_502_100_000n,
      rest: (3n * Q) / 100n,
    });
    expect(await btc(r, frank)).toBe(0n);
    expect(await btc(r, henry)).toBe(0n);
    const { cluster: got, single } = await accounts(r, EVERYONE);
    expect(got).toEqual(single);
    expect(-r.single.state.socializedLedger).toBe(150_900_000n);
    expect(r.workers[0]!.status().shortfall).toBe('150900000');
    const report = await conserved(r);
    expect(report.adl).toEqual({ 'BTC-PERP': { clearing: 0n, inFlight: 0n } });
  });

  it('asks a partition that missed the rank request again instead of offering nobody', async () => {
    const r = await cluster();
    await scenario(r, [[frank, '1000']]);
    await r.workers[1]!.stop();
    r.workers[1] = undefined;
    await ok(r, { type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    await sleep(3000); // the first rank requests go unanswered
    expect((await readCoordinatorLedger(PG_URL, r.names)).clearings[0]).toMatchObject({
      state: 'open',
      applied: 0n,
    });
    r.workers[1] = await startWorker(r, 1);
    const rec = await clearingDone(r);
    // frank was asked again and took his 0.01
    expect(rec).toMatchObject({ applied: Q / 100n, rest: (9n * Q) / 100n });
    expect(await btc(r, frank)).toBe(0n);
    const { cluster: got, single } = await accounts(r, EVERYONE);
    expect(got).toEqual(single);
    await conserved(r);
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
    const clearing = {
      type: 'clearing',
      partition: 0,
      sub: 'b9',
      market: 'BTC-PERP',
      side: 'long',
      size: '1',
      value: '1',
    };
    expect(await r.client.coordinator({ ...clearing, partition: 5 }, 'm3')).toMatchObject({
      ok: false,
      rejection: { code: 'UNKNOWN_SCOPE' },
    });
    expect(await r.client.coordinator({ ...clearing, sub: '0' }, 'm4')).toMatchObject({
      ok: false,
      rejection: { code: 'MALFORMED_MESSAGE' },
    });
    expect(await r.client.coordinator({ ...clearing, size: '0.5' }, 'm5')).toMatchObject({
      ok: false,
      rejection: { code: 'MALFORMED_MESSAGE' },
    });
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
