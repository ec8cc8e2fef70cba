/**
 * The merged event stream at the gateway, against the local NATS JetStream and PostgreSQL: a
 * subscriber from the start and one resuming from a cursor taken mid-stream, across a price crash
 * broadcast to both partitions, liquidations, and a worker restarted in between. The reference is
 * each partition's journal in PostgreSQL: every event arrives once, in journal order, with no gap.
 */

import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freshClusterName, NATS_URL, natsAvailable } from '../../test/support/nats.ts';
import { PG_URL, postgresAvailable } from '../../test/support/postgres.ts';
import { getPreset } from '../core/presets/index.ts';
import { purgeCluster } from './admin.ts';
import { ClusterClient } from './client.ts';
import { checkConservation } from './conservation.ts';
import { Coordinator } from './coordinator.ts';
import { listenGateway, type RunningGateway } from './gateway.ts';
import { mergeOrder, parseCursor, tagPage } from './gateway-events.ts';
import { type ClusterNames, clusterNames } from './names.ts';
import { connectBus } from './nats.ts';
import { partitionOf } from './partition.ts';
import { PartitionWorker } from './worker.ts';

const READY =
  (await postgresAvailable('the event stream tests')) && (await natsAvailable('the event stream tests'));
const N = 2;

interface Msg {
  op: string;
  seq: number;
  partition: number;
  bcast: number;
  cursor: string;
  event: { type: string; [k: string]: unknown };
}

describe('merge order and broadcast tags', () => {
  const accepted = (seq: number, commandId: string, firstSeq: number, count: number) => ({
    seq,
    type: 'command_accepted',
    json: JSON.stringify({ type: 'command_accepted', commandId, firstSeq, count }),
  });
  const ev = (seq: number, type: string) => ({ seq, type, json: `{"type":"${type}"}` });

  it("tags a broadcast's events with its number and later events with the last one applied", () => {
    const rows = [
      ev(5, 'moved'),
      accepted(6, 'c1', 5, 1),
      ev(7, 'prices_updated'),
      accepted(8, 'bcast:3', 7, 1),
      ev(9, 'moved'),
      accepted(10, 'c2', 9, 1),
    ];
    const t = tagPage(1, rows, 2, false);
    expect(t.events.map((e) => e.bcast)).toEqual([2, 2, 3, 3, 3, 3]);
    expect(t.epoch).toBe(3);
  });

  it('cuts a full page after its last command_accepted (a command is never split)', () => {
    const rows = [ev(1, 'moved'), accepted(2, 'c1', 1, 1), ev(3, 'prices_updated')];
    expect(tagPage(0, rows, 0, true).events.map((e) => e.seq)).toEqual([1, 2]);
    expect(tagPage(0, rows, 0, false).events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('orders by (bcast, partition, seq) and parses cursors strictly', () => {
    const e = (partition: number, seq: number, bcast: number) => ({
      partition,
      seq,
      bcast,
      type: 't',
      json: '{}',
    });
    const sorted = [e(1, 9, 4), e(0, 20, 5), e(0, 7, 4), e(1, 3, 3)].sort(mergeOrder);
    expect(sorted.map((x) => `${x.partition}:${x.seq}`)).toEqual(['1:3', '0:7', '1:9', '0:20']);
    expect(parseCursor('0', 3)).toEqual([0, 0, 0]);
    expect(parseCursor('4,0,17', 3)).toEqual([4, 0, 17]);
    expect(() => parseCursor('4,0', 3)).toThrow(/3 journal sequences/);
    expect(() => parseCursor('4,-1,2', 3)).toThrow();
  });
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function idsIn(partition: number, prefix: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    if (partitionOf(`${prefix}${i}`, N) === partition) out.push(`${prefix}${i}`);
  return out;
}

function subscribe(
  url: string,
  since: string,
): { messages: Msg[]; close: () => void; opened: Promise<unknown> } {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/events?since=${since}`);
  const messages: Msg[] = [];
  let subscribed: (v: unknown) => void;
  const opened = new Promise((r) => (subscribed = r));
  ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.op === 'subscribed') subscribed(m);
    else messages.push(m);
  });
  return { messages, close: () => ws.close(), opened };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.runIf(READY)('the merged event stream (NATS JetStream + PostgreSQL)', () => {
  it("delivers every partition's events once, in journal order, across a crash tick and a worker restart", async () => {
    const names: ClusterNames = clusterNames(freshClusterName());
    const common = { names, partitions: N, pgUrl: PG_URL, natsUrl: NATS_URL, snapshotEvery: 20 };
    const config = getPreset('binance-usdm')!.config();
    const workers = await Promise.all(
      Array.from({ length: N }, (_, p) => PartitionWorker.start({ ...common, partition: p, config })),
    );
    const coordinator = await Coordinator.start({ ...common, settlement: { id: 'USDT', decimals: 8 } });
    const client = new ClusterClient(await connectBus(NATS_URL), names, N);
    const gw: RunningGateway = await listenGateway(
      client,
      { host: '127.0.0.1', port: 0 },
      { events: { pgUrl: PG_URL } },
    );
    const db = new pg.Client({ connectionString: PG_URL });
    await db.connect();
    cleanups.push(async () => {
      await gw.close();
      await Promise.all(workers.map((w) => w.stop()));
      await coordinator.stop();
      await client.bus.nc.close();
      await db.end();
      await purgeCluster(PG_URL, NATS_URL, names, N);
    });
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly
      const j = (await r.json()) as any;
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
      return j;
    };
    const first = subscribe(gw.url, '0');
    cleanups.push(async () => first.close());
    await first.opened;

    // in each partition: a 60x long and its counterparty
    const pairs = [idsIn(0, 'lev', 3), idsIn(1, 'lev', 3)] as [string, string, string][];
    await post('/v1/prices', { marks: { BTCUSDT: '60000' }, timeMs: Date.now(), commandId: 'p0' });
    for (const [long, short, keeper] of pairs) {
      await post('/v1/deposits', {
        account: keeper,
        asset: 'USDT',
        amount: '100000',
        commandId: `d-${keeper}`,
      });
      await post('/v1/deposits', { account: long, asset: 'USDT', amount: '1000', commandId: `d-${long}` });
      await post('/v1/deposits', {
        account: short,
        asset: 'USDT',
        amount: '100000',
        commandId: `d-${short}`,
      });
      await post('/v1/fills', {
        symbol: 'BTCUSDT',
        buyer: { account: long },
        seller: { account: short },
        amount: '1',
        price: '60000',
        commandId: `f-${long}`,
      });
    }
    // a resumer starts from the cursor the first subscriber has now
    await until(
      'the first subscriber to see the fills',
      () => first.messages.filter((m) => m.event.type === 'traded').length === 2,
    );
    const mid = first.messages.at(-1)!.cursor;
    const resumed = subscribe(gw.url, mid);
    cleanups.push(async () => resumed.close());
    await resumed.opened;

    // partition 1's worker stops and starts again (from its snapshot and journal) before the crash
    await workers[1]!.stop();
    workers[1] = await PartitionWorker.start({ ...common, partition: 1, config });
    // the crash tick: −1,000 on a 1,000 margin wipes both longs out
    const crash = await post('/v1/prices', {
      marks: { BTCUSDT: '59000' },
      timeMs: Date.now(),
      commandId: 'p1',
    });
    expect(crash.events.map((e: { type: string }) => e.type)).toContain('prices_updated');
    for (const [long, , keeper] of pairs)
      await post('/v1/liquidations', {
        account: long,
        liquidator: { account: keeper },
        commandId: `l-${long}`,
      });

    // the reference: each partition's journal
    const journal = async (p: number) =>
      (
        await db.query<{ seq: string; type: string }>(
          `SELECT seq, type FROM "${names.partitionSchema(p)}".events ORDER BY seq`,
        )
      ).rows.map((r) => ({ seq: Number(r.seq), type: r.type }));
    const heads = await Promise.all([0, 1].map(async (p) => (await journal(p)).length));
    const seen = (list: Msg[], p: number) => list.filter((m) => m.partition === p);
    await until('every journal event at the first subscriber', () =>
      [0, 1].every((p) => seen(first.messages, p).length >= heads[p]!),
    );
    await until('the resumer to catch up', () =>
      [0, 1].every((p) => seen(resumed.messages, p).at(-1)?.seq === heads[p]),
    );
    const midCursor = parseCursor(mid, N);
    for (const p of [0, 1]) {
      const j = await journal(p);
      const got = seen(first.messages, p);
      // once each, in journal order, no gap: exactly the journal
      expect(got.map((m) => m.seq)).toEqual(j.map((x) => x.seq));
      expect(got.map((m) => m.event.type)).toEqual(j.map((x) => x.type));
      // the resumer: exactly the suffix after its cursor
      expect(seen(resumed.messages, p).map((m) => m.seq)).toEqual(
        j.filter((x) => x.seq > midCursor[p]!).map((x) => x.seq),
      );
      // broadcast numbers never go back within a partition
      const tags = got.map((m) => m.bcast);
      expect(tags).toEqual([...tags].sort((a, b) => a - b));
      // the crash tick is broadcast 2 in both partitions; the liquidations come after it
      const crashEvents = got.filter((m) => m.event.type === 'prices_updated');
      expect(crashEvents.map((m) => m.bcast)).toEqual([1, 2]);
      const liq = got.filter((m) => m.event.type === 'liquidation_started');
      expect(liq).toHaveLength(1);
      expect(liq[0]!.bcast).toBe(2);
      expect(liq[0]!.seq).toBeGreaterThan(crashEvents[1]!.seq);
    }
    // the single process's message shape, plus partition/bcast/cursor
    expect(Object.keys(first.messages[0]!).sort()).toEqual([
      'bcast',
      'cursor',
      'event',
      'op',
      'partition',
      'seq',
    ]);
    expect(first.messages[0]!.op).toBe('event');
    const report = await checkConservation(PG_URL, names, N);
    expect(report.problems).toEqual([]);
  });
});
