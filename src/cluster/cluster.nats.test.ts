/**
 * The cluster in one process against the local NATS JetStream and PostgreSQL: two partition
 * workers and the coordinator, each test on its own streams and schemas (removed afterwards).
 * Expected balances are the sums of the deposits the test itself made (hand arithmetic), and
 * after each scenario the conservation check (every partition's ledger invariant, the
 * coordinator's fund, the covers) must hold exactly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import type { ClusterClient } from './client.ts';
import { startTestCluster, stopTestCluster, type TestCluster } from './cluster.testkit.ts';
import { checkConservation } from './conservation.ts';
import { gatewayApp } from './gateway.ts';
import { COVER_ACCOUNT, partitionOf } from './partition.ts';
import { PartitionWorker } from './worker.ts';

const READY = (await postgresAvailable('the cluster tests')) && (await natsAvailable('the cluster tests'));
const N = 2;

type Running = TestCluster;
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await stopTestCluster(r);
});

async function cluster(overrides: Parameters<typeof venueConfig>[0] = {}): Promise<Running> {
  const r = await startTestCluster({
    name: freshClusterName(),
    partitions: N,
    config: venueConfig(overrides),
    settlement: { id: 'USDC', decimals: 6 },
    snapshotEvery: 5,
  });
  running.push(r);
  return r;
}

/** Account ids with their home partition: two in each partition. */
function accounts(): string[][] {
  const byPartition: string[][] = Array.from({ length: N }, () => []);
  for (let i = 0; byPartition.some((a) => a.length < 2); i++) {
    const id = `trader${i}`;
    const p = partitionOf(id, N);
    if (byPartition[p]!.length < 2) byPartition[p]!.push(id);
  }
  return byPartition;
}

async function balance(c: ClusterClient, account: string, asset = 'USDC'): Promise<bigint> {
  const q = await c.query(partitionOf(account, N), account);
  return (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances[asset] ?? '0'), 0n);
}

async function conserved(r: Running): Promise<void> {
  const report = await checkConservation(PG_URL, r.names, N);
  expect(report.problems).toEqual([]);
  expect(report.inFlight).toBe(0n);
  expect(report.ok).toBe(true);
}

describe.runIf(READY)('cluster (NATS JetStream + PostgreSQL)', () => {
  it('routes deposits to their partitions and applies each command id once', async () => {
    const r = await cluster();
    const [[a0, a1], [b0]] = accounts() as [string[], string[]];
    const deposit = (account: string, amount: string, id: string) =>
      r.client.submit({ type: 'deposit', commandId: id, to: { account }, asset: 'USDC', amount });
    expect(await deposit(a0!, '100', 'd1')).toMatchObject({ ok: true, partition: partitionOf(a0!, N) });
    expect(await deposit(a1!, '25.5', 'd2')).toMatchObject({ ok: true });
    expect(await deposit(b0!, '7', 'd3')).toMatchObject({ ok: true, partition: partitionOf(b0!, N) });
    // the same message id again: JetStream drops it
    const subject = r.names.commandSubject(partitionOf(a0!, N));
    const body = { type: 'deposit', commandId: 'd1', to: { account: a0 }, asset: 'USDC', amount: '100' };
    expect(await r.client.submitRaw(subject, body, 'c:d1')).toMatchObject({ ok: 'pending', duplicate: true });
    // the client asks again under a fresh message id: the engine answers with the first outcome
    expect(await deposit(a0!, '100', 'd1')).toMatchObject({ ok: true, replayed: true });
    // the same command delivered again under another message id (a redelivery): replayed, not applied
    const again = await r.client.submitRaw(
      r.names.commandSubject(partitionOf(a0!, N)),
      { type: 'deposit', commandId: 'd1', to: { account: a0 }, asset: 'USDC', amount: '100' },
      'another-msg-id',
    );
    expect(again).toMatchObject({ ok: true, replayed: true });
    expect(await balance(r.client, a0!)).toBe(100_000_000n); // 100 USDC at 6 decimals, once
    expect(await balance(r.client, a1!)).toBe(25_500_000n);
    expect(await balance(r.client, b0!)).toBe(7_000_000n);
    await conserved(r);
  });

  it('refuses a command for another partition, without an id, or across partitions, changing nothing', async () => {
    const r = await cluster();
    const [[a0], [b0]] = accounts() as [string[], string[]];
    const home = partitionOf(a0!, N);
    const other = 1 - home;
    const before = await r.client.query(other);
    const wrong = await r.client.submitRaw(
      r.names.commandSubject(other),
      { type: 'deposit', commandId: 'w1', to: { account: a0 }, asset: 'USDC', amount: '5' },
      'w1',
    );
    expect(wrong).toMatchObject({ ok: false, cluster: true, rejection: { code: 'WRONG_PARTITION' } });
    const noId = await r.client.submitRaw(
      r.names.commandSubject(home),
      { type: 'deposit', to: { account: a0 }, asset: 'USDC', amount: '5' },
      'n1',
    );
    expect(noId).toMatchObject({ ok: false, rejection: { code: 'MISSING_COMMAND_ID' } });
    const cross = await r.client.submit({
      type: 'fill',
      commandId: 'x1',
      market: 'BTC-PERP',
      buyer: { account: a0 },
      seller: { account: b0 },
      size: '0.01',
      price: '60000',
    });
    expect(cross).toMatchObject({ ok: false, rejection: { code: 'CROSS_PARTITION' } });
    const after = await r.client.query(other);
    expect(after.status.stateHash).toBe(before.status.stateHash);
    expect(after.status.seq).toBe(before.status.seq);
    expect(await balance(r.client, a0!)).toBe(0n);
    await conserved(r);
  });

  it('applies broadcasts on every partition once, in the stream order', async () => {
    const r = await cluster();
    const prices = { type: 'prices', marks: { 'BTC-PERP': '60000' }, assets: { BTC: '60000' } };
    expect(await r.client.submit({ ...prices, timeMs: 1000, commandId: 'p1' })).toMatchObject({ ok: true });
    expect(await r.client.submit({ ...prices, timeMs: 2000, commandId: 'p2' })).toMatchObject({ ok: true });
    // wait until every partition has applied both
    for (let i = 0; i < 50; i++) {
      const s = await Promise.all(r.workers.map((w) => w.status().broadcastHighWater));
      if (s.every((x) => x === 2)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    for (const w of r.workers) {
      expect(w.status().broadcastHighWater).toBe(2);
      expect(w.engine.state.markets.get('BTC-PERP')?.markPx8).toBe(60_000n * 10n ** 8n);
    }
    expect(r.workers.map((w) => w.engine.state.timeMs)).toEqual([2000, 2000]);
    await conserved(r);
  });

  it('pays a shortfall from the coordinator fund once, refuses an unknown scope, and conserves money', async () => {
    const r = await cluster();
    expect(await r.client.coordinator({ type: 'fund', id: 'f1', amount: '1000000' }, 'f1')).toMatchObject({
      ok: true,
      kind: 'funded',
    });
    const shortfall = (partition: number, total: string, msgID: string) =>
      r.client.coordinator({ type: 'shortfall', partition, total }, msgID);
    expect(await shortfall(7, '10', 's7')).toMatchObject({ ok: false, rejection: { code: 'UNKNOWN_SCOPE' } });
    expect(await shortfall(0, 'x', 'bad')).toMatchObject({
      ok: false,
      rejection: { code: 'MALFORMED_MESSAGE' },
    });
    expect(await shortfall(0, '300000', 's0a')).toMatchObject({ ok: true, paid: '300000' });
    // the same request again (a redelivery under another message id): answered from the record
    expect(await shortfall(0, '300000', 's0b')).toMatchObject({ ok: true, paid: '300000', replayed: true });
    expect(await shortfall(0, '200000', 's0c')).toMatchObject({
      ok: false,
      rejection: { code: 'STALE_SHORTFALL' },
    });
    // cumulative 1,000,000: pays the new 700,000 only
    expect(await shortfall(0, '1000000', 's0d')).toMatchObject({ ok: true, paid: '700000' });
    // partition 1 wants 500,000 but the fund has nothing left: 1,000,000 − 300,000 − 700,000 = 0
    expect(await shortfall(1, '500000', 's1')).toMatchObject({ ok: true, paid: '0' });
    // the cover arrives at partition 0 as a deposit into its cover account
    let cover = 0n;
    for (let i = 0; i < 50 && cover !== 1_000_000n; i++) {
      const q = await r.client.query(0, COVER_ACCOUNT);
      cover = (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
      if (cover !== 1_000_000n) await new Promise((res) => setTimeout(res, 100));
    }
    expect(cover).toBe(1_000_000n);
    const report = await checkConservation(PG_URL, r.names, N);
    expect(report.fund).toEqual({ balance: 0n, funded: 1_000_000n, paid: 1_000_000n });
    await conserved(r);
  });

  it('answers the single-process routes through the gateway: applied, replayed, refused, malformed', async () => {
    const r = await cluster();
    const app = gatewayApp(r.client);
    const [[a0], [b0]] = accounts() as [string[], string[]];
    const post = (path: string, body: unknown) =>
      app.request(path, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    const dep = { account: a0, asset: 'USDC', amount: '12.5', commandId: 'g1' };
    const first = await post('/v1/deposits', dep);
    expect(first.status).toBe(200);
    const body = (await first.json()) as { seq: number; events: { type: string }[] };
    expect(body.events.map((e) => e.type)).toContain('command_accepted');
    const again = await post('/v1/deposits', dep);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ seq: body.seq, replayed: true });
    const cross = await post('/v1/fills', {
      symbol: 'BTC-PERP',
      buyer: { account: a0 },
      seller: { account: b0 },
      amount: '0.01',
      price: '60000',
      commandId: 'g2',
    });
    expect(cross.status).toBe(422);
    expect(await cross.json()).toMatchObject({ code: 'CROSS_PARTITION' });
    expect((await post('/v1/deposits', { account: a0, amount: '1' })).status).toBe(400);
    const fund = await post('/v1/cluster/insurance-fund', { units: '5000000', commandId: 'if1' });
    expect(await fund.json()).toMatchObject({ ok: true, kind: 'funded', amount: '5000000' });
    expect((await post('/v1/cluster/insurance-fund', { units: '-5', commandId: 'if2' })).status).toBe(400);
    const status = (await (await app.request('/v1/cluster/status')).json()) as { partitions: unknown[] };
    expect(status.partitions).toHaveLength(N);
    expect(await balance(r.client, a0!)).toBe(12_500_000n);
    expect((await checkConservation(PG_URL, r.names, N)).fund).toEqual({
      balance: 5_000_000n,
      funded: 5_000_000n,
      paid: 0n,
    });
    await conserved(r);
  });

  it('a bankrupt scope in a partition: its write-off is covered by the coordinator fund, exactly once', async () => {
    // every account of the scenario in partition 0 (found by the partition function)
    const inZero = (prefix: string) => {
      for (let i = 0; ; i++) if (partitionOf(`${prefix}${i}`, N) === 0) return `${prefix}${i}`;
    };
    const [alice, bob, carol, dave, erin, backstop] = [
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
      'backstop',
    ].map(inZero);
    const r = await cluster({ backstop: { account: backstop! } });
    let broadcasts = 0;
    const broadcast = async (timeMs: number, mark: string) => {
      await r.client.submit({
        type: 'prices',
        timeMs,
        marks: { 'BTC-PERP': mark },
        commandId: `px${timeMs}`,
      });
      broadcasts += 1;
      for (let i = 0; i < 100 && !r.workers.every((w) => w.status().broadcastHighWater === broadcasts); i++) {
        await new Promise((res) => setTimeout(res, 20));
      }
    };
    const ok = async (c: Record<string, unknown>) =>
      expect(await r.client.submit(c)).toMatchObject({ ok: true });
    const fill = (id: string, buyer: string, seller: string, size: string, price: string, taker = 'buyer') =>
      ok({
        type: 'fill',
        commandId: id,
        market: 'BTC-PERP',
        buyer: { account: buyer },
        seller: { account: seller },
        size,
        price,
        taker,
      });
    expect(await r.client.coordinator({ type: 'fund', id: 'f1', amount: '1000000000' }, 'f1')).toMatchObject({
      ok: true,
    });
    await broadcast(1, '60000');
    await ok({
      type: 'deposit',
      commandId: 'd0',
      to: { account: backstop },
      asset: 'USDC',
      amount: '10000000',
    });
    for (const [i, [who, amount]] of (
      [
        [alice, '1000'],
        [bob, '100000'],
        [carol, '10000'],
        [dave, '10000'],
        [erin, '10000'],
      ] as const
    ).entries()) {
      await ok({ type: 'deposit', commandId: `d${i + 1}`, to: { account: who }, asset: 'USDC', amount });
    }
    // the engine's own socialized-loss scenario (core/engine/loss-ledger.test.ts): alice long 0.1
    // @ 60,000 (taker fee 0.05 % = 3: balance 997); the shorts are losing at 45,000, so nobody can
    // be deleveraged, and alice's net value 997 + 0.1 × (45,000 − 60,000) = −503 USDC is written off
    await fill('f1', alice!, bob!, '0.1', '60000');
    await broadcast(2, '44000');
    await fill('f2', bob!, carol!, '0.1', '44000', 'seller');
    await fill('f3', erin!, dave!, '0.2', '44000');
    await broadcast(3, '45000');
    await ok({ type: 'liquidate', commandId: 'l1', subaccount: { account: alice }, timeMs: 3 });
    // alice's position went at the bankruptcy value to the ADL clearing account; nobody in the
    // cluster can take it, so the coordinator liquidates it to the backstop: the −503 is written off
    for (let i = 0; i < 300 && r.workers[0]!.status().shortfall === '0'; i++) {
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(r.workers[0]!.status().shortfall).toBe('503000000');
    // the worker asked the coordinator, which paid 503 USDC of its 1,000 into partition 0's cover account
    let cover = 0n;
    for (let i = 0; i < 100 && cover === 0n; i++) {
      const q = await r.client.query(0, COVER_ACCOUNT);
      cover = (q.subaccounts ?? []).reduce((s, x) => s + BigInt(x.balances.USDC ?? '0'), 0n);
      if (cover === 0n) await new Promise((res) => setTimeout(res, 50));
    }
    expect(cover).toBe(503_000_000n);
    // restarting the worker asks again (the same cumulative total): answered once, nothing paid twice
    await r.workers[0]!.stop();
    r.workers[0] = await PartitionWorker.start({
      names: r.names,
      partitions: N,
      pgUrl: PG_URL,
      natsUrl: NATS_URL,
      partition: 0,
      config: venueConfig({ backstop: { account: backstop! } }),
    });
    await new Promise((res) => setTimeout(res, 300));
    const report = await checkConservation(PG_URL, r.names, N);
    expect(report.fund).toEqual({ balance: 497_000_000n, funded: 1_000_000_000n, paid: 503_000_000n });
    expect(report.partitions[0]!.cover).toBe(503_000_000n);
    expect(report.partitions[0]!.shortfall).toBe(503_000_000n);
    await conserved(r);
  });
});
