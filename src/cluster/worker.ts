/**
 * A partition worker: one Engine, journaled and snapshotted to its own PostgreSQL schema, fed by
 * two durable JetStream consumers — its partition's command subject and the cluster's broadcast
 * subject — and acknowledging a message only after the journal commit that holds its effect.
 *
 * Exactly-once effect: a partition command must carry a command id (the gateway sets one, and
 * publishes with it as `Nats-Msg-Id`, so JetStream drops a repeated publish); a message delivered
 * again — its worker died after the commit but before the ack — executes as a repeat of a known id
 * and changes nothing. A broadcast gets the command id `bcast:<stream sequence>`, and the worker
 * skips any broadcast at or below the highest sequence it has applied (a duplicate or a late
 * one): every partition applies the broadcasts once, in the stream's order.
 *
 * A command whose accounts belong to another partition is refused (WRONG_PARTITION) without
 * touching the engine. When the engine's socialized-loss ledger grows (a bankrupt scope's deficit
 * the partition could not absorb), the worker asks the coordinator to cover the new cumulative
 * total (see coordinator.ts); it asks again at every start, which the coordinator answers once.
 *
 * Cross-partition ADL (adl.ts): the engine is created with the clearing account `cluster-adl`
 * (config `adlClearing`), so a bankruptcy's waterfall closes what the partition's own ADL queue
 * cannot take to a clearing subaccount `cluster-adl/b<seq>` at the bankruptcy value. The worker
 * reports each such clearing position to the coordinator after the commit that opened it (and
 * again at every start while it is open), answers `{ranks: {market, side}}` queries with its
 * counterparties in the engine's ADL order, and applies the coordinator's `adl:` commands: an
 * `adl_leg` for one of its own accounts or its clearing account, and the `liquidate` of a
 * clearing subaccount whose rest nobody in the cluster could take; and its `pairs:` commands
 * (pairs.ts): the variation settlement of the pair subaccount, the transit subaccount's
 * withdrawal, the pool's deposit.
 * `amend_order` / `cancel_order` carry the order's subaccount; an order that is another
 * subaccount's is refused (ORDER_NOT_OWNED) before the engine is asked.
 *
 * A failed journal commit is fatal: the worker stops without acking, and its messages are
 * delivered again to the restarted worker, which resumes from the latest snapshot and the events
 * after it. Messages are taken in batches: one commit (one PostgreSQL transaction) per batch.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import { Engine, type ExecuteResult } from '../core/engine/engine.ts';
import { ledgerSums } from '../core/engine/invariants.ts';
import { subaccountKey } from '../core/model/state.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB, type BankruptSide, publishRanks } from './adl.ts';
import type { ClusterNames } from './names.ts';
import {
  type ClusterBus,
  connectBus,
  DEFAULT_NATS_URL,
  ensureTopology,
  publishCommand,
  REPLY_HEADER,
  takeOverConsumer,
} from './nats.ts';
import { PAIR_TRANSIT_SUB, settledOf } from './pairs.ts';
import { COVER_ACCOUNT, partitionOf, routeCommand } from './partition.ts';
import type { PartitionApi } from './partition-api.ts';

export interface WorkerOptions {
  readonly names: ClusterNames;
  readonly partition: number;
  readonly partitions: number;
  readonly pgUrl: string;
  readonly natsUrl?: string;
  /** Engine configuration for a first start (an empty journal). */
  readonly config: unknown;
  /** A snapshot after this many applied commands; default 1,000. */
  readonly snapshotEvery?: number;
  /** Most messages per commit; default 512. */
  readonly batch?: number;
  /**
   * The partition consumers' JetStream `ack_wait` when this worker creates them (default 30 s,
   * ACK_WAIT_MS in nats.ts): a message not acked by then is delivered again. Tests shorten it.
   */
  readonly ackWaitMs?: number;
  /** Called when the worker stops on a fault (the process should exit and be restarted). */
  readonly onFatal?: (err: Error) => void;
}

export type WorkerRejectionCode =
  | 'WRONG_PARTITION'
  | 'CROSS_PARTITION'
  | 'UNROUTABLE_COMMAND'
  | 'RESERVED_ACCOUNT'
  | 'MISSING_COMMAND_ID'
  | 'MALFORMED_MESSAGE'
  | 'STALE_BROADCAST'
  | 'ORDER_NOT_OWNED';

/** What a worker answers for one message (sent to the message's reply subject, if any). */
export type WorkerOutcome =
  | {
      ok: true;
      partition: number;
      seq: number;
      events: { seq: number; type: string }[];
      replayed?: true;
      /** A coordinator's ADL command: the size (qty9) and value (settlement units) its trades closed. */
      traded?: { size: string; value: string };
      /**
       * A coordinator's pair settlement (pairs.ts): settlement units moved to the transit
       * subaccount, and the pair subaccount's balance now (may be < 0: a hole the pool pays).
       */
      settled?: { out: string; cash: string };
    }
  | {
      ok: false;
      partition: number;
      rejection: { code: string; message: string };
      replayed?: true;
      /** true: refused by the cluster layer, the engine was not asked. */
      cluster?: true;
    };

/** A partition's figures, for status queries, the conservation check and tests. */
export interface PartitionStatus {
  readonly partition: number;
  readonly seq: number;
  readonly stateHash: string;
  readonly broadcastHighWater: number;
  /** Settlement-asset units the partition wrote off (−socialized ledger), cumulative. */
  readonly shortfall: string;
  readonly applied: number;
}

interface Queued {
  readonly msg: JsMsg;
  readonly broadcast: boolean;
}

const SETTLEMENT_SHORTFALL = 'shortfall';

export class PartitionWorker {
  private readonly queue: Queued[] = [];
  private wake: (() => void) | undefined;
  private running = true;
  private readonly streams: ConsumerMessages[] = [];
  private query: Subscription | undefined;
  private api: PartitionApi | undefined;
  private loop: Promise<void> | undefined;
  private sinceSnapshot = 0;
  private applied = 0;
  private redelivered = 0;
  private reportedShortfall = 0n;
  /** Write-offs applied since the last report: the cumulative total after each. */
  private writeOffs: bigint[] = [];
  /** Clearing subaccounts opened since the last report (the coordinator deleverages each). */
  private clearings: string[] = [];
  private fatal: Error | undefined;

  private constructor(
    private readonly opts: WorkerOptions,
    private readonly bus: ClusterBus,
    private readonly journal: PostgresJournal,
    readonly engine: Engine,
    private broadcastHighWater: number,
  ) {}

  /** Opens the partition's journal (creating the engine on a first start), then starts consuming. */
  static async start(opts: WorkerOptions): Promise<PartitionWorker> {
    const { names, partition, partitions } = opts;
    if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
      throw new RangeError(`partition ${partition} is not in 0…${partitions - 1}`);
    }
    const journal = await PostgresJournal.open(opts.pgUrl, { schema: names.partitionSchema(partition) });
    let engine: Engine;
    try {
      if (journal.lastSeq() === 0) {
        engine = Engine.create(withClearing(opts.config), { journal });
        await journal.flush();
      } else {
        engine = Engine.open(journal);
      }
    } catch (err) {
      await journal.closeAsync();
      throw err;
    }
    const bus = await connectBus(opts.natsUrl ?? DEFAULT_NATS_URL, `plimsoll-${names.name}-p${partition}`);
    await ensureTopology(
      bus,
      names,
      partitions,
      opts.ackWaitMs === undefined ? {} : { ackWaitMs: opts.ackWaitMs },
    );
    const worker = new PartitionWorker(opts, bus, journal, engine, highWaterOf(engine));
    await worker.begin();
    return worker;
  }

  private async begin(): Promise<void> {
    const { names, partition } = this.opts;
    const batch = this.opts.batch ?? 512;
    // a shortfall or a clearing position committed before a crash is reported again (the
    // coordinator answers each once)
    await this.reportShortfall(true);
    this.clearings = openClearings(this.engine);
    await this.reportClearings();
    this.query = this.bus.nc.subscribe(names.querySubject(partition), {
      callback: (_err, msg) => {
        const req = safeJson(msg.string()) as QueryRequest | undefined;
        msg.respond(JSON.stringify(this.answer(req)));
      },
    });
    // the HTTP API's route handlers over this engine, for the gateway (partition-api.ts); loaded
    // after the worker consumes, so the route table's modules do not delay a restart's recovery
    void import('./partition-api.ts').then(({ servePartitionApi }) => {
      if (!this.running) return;
      this.api = servePartitionApi({
        nc: this.bus.nc,
        names,
        partition,
        engine: () => this.engine,
        read: (after) => this.journal.read(after),
        readRange: (after, limit) => this.journal.readRange(after, limit),
      });
    });
    for (const [stream, broadcast, subject] of [
      [names.broadcastStream, true, names.broadcastSubject],
      [names.commandStream, false, names.commandSubject(partition)],
    ] as const) {
      await takeOverConsumer(this.bus, stream, names.consumer(partition), subject);
      const consumer = await this.bus.js.consumers.get(stream, names.consumer(partition));
      const messages = await consumer.consume({ max_messages: batch });
      this.streams.push(messages);
      void (async () => {
        for await (const msg of messages) {
          if (msg.info.redelivered) this.redelivered += 1;
          this.queue.push({ msg, broadcast });
          this.wake?.();
        }
      })().catch(() => {});
    }
    this.loop = this.run();
  }

  /** The partition's figures now. */
  status(): PartitionStatus {
    return {
      partition: this.opts.partition,
      seq: this.engine.state.seq,
      stateHash: this.engine.stateHash(),
      broadcastHighWater: this.broadcastHighWater,
      shortfall: String(-this.engine.state.socializedLedger),
      applied: this.applied,
    };
  }

  /**
   * Messages JetStream delivered again (not acked within `ack_wait`: a slow commit, or a previous
   * owner that died); each executes as a repeat of its command id.
   */
  get redeliveries(): number {
    return this.redelivered;
  }

  /** Why the worker stopped on a fault, if it did. */
  get failure(): Error | undefined {
    return this.fatal;
  }

  private answer(req: QueryRequest | undefined): unknown {
    const status = this.status();
    const ranks = req?.ranks;
    if (ranks !== undefined) {
      if (typeof ranks?.market !== 'string' || (ranks.side !== 'long' && ranks.side !== 'short')) {
        return { status, error: 'ranks: {market, side: "long" | "short"}' };
      }
      const reserved = new Set([COVER_ACCOUNT, ADL_CLEARING_ACCOUNT]);
      return {
        status,
        ranks: publishRanks(this.engine.state, this.opts.partition, ranks.market, ranks.side, reserved),
      };
    }
    if (typeof req?.account !== 'string') return { status, ledger: ledgerJson(this.engine) };
    const subs: { sub: string; balances: Record<string, string>; positions: Record<string, string> }[] = [];
    for (const s of this.engine.state.subaccounts.values()) {
      if (s.ref.account !== req.account) continue;
      subs.push({
        sub: s.ref.sub,
        balances: Object.fromEntries([...s.balances].map(([a, v]) => [a, String(v)])),
        positions: Object.fromEntries([...s.positions].map(([m, p]) => [m, String(p.size)])),
      });
    }
    return { status, account: req.account, subaccounts: subs };
  }

  private async run(): Promise<void> {
    const batch = this.opts.batch ?? 512;
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      const taken = this.queue.splice(0, batch);
      const before = this.engine.state.seq;
      const outcomes = taken.map((q) => this.handle(q));
      try {
        if (this.sinceSnapshot >= (this.opts.snapshotEvery ?? 1000)) {
          this.engine.snapshot();
          this.sinceSnapshot = 0;
        }
        await this.journal.flush();
        await this.reportShortfall(false);
        await this.reportClearings();
        this.api?.committed(before);
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      for (let i = 0; i < taken.length; i++) {
        const { msg } = taken[i]!;
        msg.ack();
        const reply = msg.headers?.get(REPLY_HEADER);
        if (reply) this.bus.nc.publish(reply, JSON.stringify(outcomes[i]));
      }
    }
  }

  private handle(q: Queued): WorkerOutcome {
    const partition = this.opts.partition;
    const refuse = (code: WorkerRejectionCode, message: string): WorkerOutcome => ({
      ok: false,
      partition,
      rejection: { code, message },
      cluster: true,
    });
    const body = safeJson(q.msg.string());
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return refuse('MALFORMED_MESSAGE', 'a message is a JSON object (a command)');
    }
    if (q.broadcast) {
      const seq = q.msg.info.streamSequence;
      const stale = staleBroadcast(seq, this.broadcastHighWater);
      if (stale !== undefined) return refuse('STALE_BROADCAST', stale);
      const r = this.engine.execute({ ...body, commandId: `bcast:${seq}` });
      this.broadcastHighWater = seq;
      return this.outcome(r);
    }
    const command = body as Record<string, unknown>;
    if (typeof command.commandId !== 'string') {
      return refuse(
        'MISSING_COMMAND_ID',
        'a partition command needs a commandId (its redelivery must be harmless)',
      );
    }
    if (isAdlCommand(command)) {
      const account = (command.subaccount as { account: string }).account;
      const home = account === ADL_CLEARING_ACCOUNT ? partition : partitionOf(account, this.opts.partitions);
      if (home !== partition) {
        return refuse(
          'WRONG_PARTITION',
          `the ADL leg's account lives in partition ${home}, not ${partition}`,
        );
      }
    } else if (isPairsCommand(command)) {
      // the coordinator's variation settlement of the pair subaccount (pairs.ts): the clearing
      // account is every partition's own, so it is not routed
    } else if (!isCover(command)) {
      const route = routeCommand(command, this.opts.partitions);
      if (route.kind === 'rejected') return refuse(route.code, route.message);
      if (route.kind === 'broadcast') {
        return refuse(
          'WRONG_PARTITION',
          `${String(command.type)} is a broadcast: publish it on the broadcast subject`,
        );
      }
      if (route.partition !== partition) {
        return refuse(
          'WRONG_PARTITION',
          `the command's accounts live in partition ${route.partition}, not ${partition}`,
        );
      }
    }
    if (command.type === 'amend_order' || command.type === 'cancel_order') {
      const owner = this.orderOwner(command);
      if (owner !== undefined) return refuse('ORDER_NOT_OWNED', owner);
    }
    const written = this.engine.state.socializedLedger;
    const r = this.engine.execute(command);
    if (r.ok && r.replayed !== true) {
      // one shortfall report per write-off
      if (this.engine.state.socializedLedger < written)
        this.writeOffs.push(-this.engine.state.socializedLedger);
      for (const e of r.events) {
        if (e.type === 'subaccount_opened' && isClearingSub(e.ref)) this.clearings.push(e.ref.sub);
      }
    }
    const out = this.outcome(r);
    if (out.ok && r.ok && isAdlCommand(command)) {
      // what the coordinator's leg (or the rest's liquidation) closed: every trade of the command
      let size = 0n;
      let value = 0n;
      for (const e of r.events) {
        if (e.type !== 'traded') continue;
        size += e.sizeQty9;
        value += e.valueQuote < 0n ? -e.valueQuote : e.valueQuote;
      }
      return { ...out, traded: { size: String(size), value: String(value) } };
    }
    if (out.ok && r.ok && command.type === 'settle_clearing') {
      const pair = this.engine.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/${ADL_PAIR_SUB}`);
      const { out: moved, cash } = settledOf(
        r.events,
        pair?.balances.get(this.engine.state.settlement.id) ?? 0n,
      );
      return { ...out, settled: { out: String(moved), cash: String(cash) } };
    }
    return out;
  }

  /** Why an amend/cancel may not touch the order (another subaccount's), or undefined. */
  private orderOwner(command: Record<string, unknown>): string | undefined {
    const ref = command.subaccount as { account?: unknown; sub?: unknown } | undefined;
    if (typeof ref?.account !== 'string') return "the order's subaccount is needed to route it";
    const key = subaccountKey({ account: ref.account, sub: typeof ref.sub === 'string' ? ref.sub : '0' });
    const order = this.engine.state.orders.get(String(command.orderId));
    if (order !== undefined && order.sub !== key) return `order ${order.id} is not ${key}'s`;
    return undefined;
  }

  private outcome(r: ExecuteResult): WorkerOutcome {
    const partition = this.opts.partition;
    if (!r.ok)
      return { ok: false, partition, rejection: r.rejection, ...(r.replayed ? { replayed: true } : {}) };
    if (r.replayed !== true) {
      this.sinceSnapshot += 1;
      this.applied += 1;
    }
    const last = r.events.at(-1)?.seq ?? this.engine.state.seq;
    return {
      ok: true,
      partition,
      seq: last,
      events: r.events.map((e) => ({ seq: e.seq, type: e.type })),
      ...(r.replayed ? { replayed: true } : {}),
    };
  }

  /**
   * Asks the coordinator to cover the cumulative shortfall when it grew: one request per
   * write-off since the last report, in order (or, at start, the current total).
   */
  private async reportShortfall(always: boolean): Promise<void> {
    const total = -this.engine.state.socializedLedger;
    // a write-off by a broadcast (an expiry settlement) is not in writeOffs: the total catches it
    const reports = always ? [total] : [...this.writeOffs, total];
    for (const w of reports) {
      if (w <= 0n || (!always && w <= this.reportedShortfall)) continue;
      const { names, partition } = this.opts;
      await publishCommand(
        this.bus,
        names.coordinatorSubject,
        { type: SETTLEMENT_SHORTFALL, partition, total: String(w) },
        `shortfall:${partition}:${w}`,
      );
      this.reportedShortfall = w;
    }
    this.writeOffs = [];
  }

  /**
   * Asks the coordinator to deleverage each clearing position opened since the last report: its
   * market, the bankrupt side, size and bankruptcy value, as the waterfall opened it (message id
   * `clearing:<partition>:<sub>`; the coordinator keeps the first report of a subaccount).
   */
  private async reportClearings(): Promise<void> {
    const { names, partition } = this.opts;
    for (const sub of this.clearings) {
      const s = this.engine.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/${sub}`);
      const p = s === undefined ? undefined : [...s.positions.values()].find((x) => x.size !== 0n);
      if (p === undefined) continue;
      await publishCommand(
        this.bus,
        names.coordinatorSubject,
        {
          type: 'clearing',
          partition,
          sub,
          market: p.market,
          side: p.size > 0n ? 'long' : 'short',
          size: String(p.size < 0n ? -p.size : p.size),
          value: String(p.entryValue < 0n ? -p.entryValue : p.entryValue),
        },
        `clearing:${partition}:${sub}`,
      );
    }
    this.clearings = [];
  }

  private fail(err: Error): void {
    this.fatal = err;
    this.running = false;
    for (const s of this.streams) s.stop();
    // the journal's failed group is not acked: close everything so the messages go to the next worker
    void this.bus.nc.close().catch(() => {});
    void this.journal.closeAsync().catch(() => {});
    this.opts.onFatal?.(err);
  }

  /** Stops consuming, commits and acks what it took, closes the journal and the connection. */
  async stop(): Promise<void> {
    if (this.fatal) return;
    this.running = false;
    for (const s of this.streams) s.stop();
    this.wake?.();
    await this.loop;
    this.query?.unsubscribe();
    this.api?.close();
    await this.bus.nc.drain().catch(() => {});
    await this.journal.closeAsync();
  }
}

/**
 * Why a broadcast at stream sequence `seq` is not applied, given the highest applied sequence
 * (undefined: apply it). A repeat or a late copy of a broadcast is at or below the high water.
 */
export function staleBroadcast(seq: number, highWater: number): string | undefined {
  if (!Number.isSafeInteger(seq) || seq < 1)
    return `broadcast sequence ${String(seq)} is not a positive integer`;
  if (seq <= highWater)
    return `broadcast ${seq} is at or below ${highWater}, the highest applied: a repeat or out of order`;
  return undefined;
}

interface QueryRequest {
  account?: unknown;
  ranks?: { market?: unknown; side?: BankruptSide } | null;
}

/**
 * A coordinator's ADL command (adl.ts), under an `adl:` command id: an `adl_leg` whose other side
 * is the clearing account, or the `liquidate` of a clearing subaccount (what nobody took).
 */
function isAdlCommand(c: Record<string, unknown>): boolean {
  const ref = c.subaccount as { account?: unknown; sub?: unknown } | undefined;
  const clearing = c.clearing as { account?: unknown } | undefined;
  if (!String(c.commandId).startsWith('adl:') || typeof ref?.account !== 'string') return false;
  if (ref.account === COVER_ACCOUNT) return false;
  if (c.type === 'adl_leg') return clearing?.account === ADL_CLEARING_ACCOUNT;
  return c.type === 'liquidate' && ref.account === ADL_CLEARING_ACCOUNT && ref.sub !== ADL_PAIR_SUB;
}

/**
 * A coordinator's pair settlement step (pairs.ts), under a `pairs:` command id: the
 * `settle_clearing` of the pair subaccount, the `withdraw` from the transit subaccount, or the
 * `deposit` into the pair subaccount; only the clearing account's subaccounts.
 */
function isPairsCommand(c: Record<string, unknown>): boolean {
  if (!String(c.commandId).startsWith('pairs:')) return false;
  const of = (x: unknown) => (x as { account?: unknown } | undefined)?.account === ADL_CLEARING_ACCOUNT;
  if (c.type === 'settle_clearing') return of(c.subaccount) && of(c.transit);
  if (c.type === 'withdraw') return of(c.from);
  return c.type === 'deposit' && of(c.to);
}

/** A clearing subaccount one bankruptcy opened (not the pair subaccount, not the pairs' transit). */
function isClearingSub(ref: { account: string; sub: string }): boolean {
  return ref.account === ADL_CLEARING_ACCOUNT && ref.sub !== ADL_PAIR_SUB && ref.sub !== PAIR_TRANSIT_SUB;
}

/** The clearing subaccounts still holding a position (reported again at a start). */
function openClearings(engine: Engine): string[] {
  const out: string[] = [];
  for (const s of engine.state.subaccounts.values()) {
    if (!isClearingSub(s.ref)) continue;
    if ([...s.positions.values()].some((p) => p.size !== 0n)) out.push(s.ref.sub);
  }
  return out;
}

/** The engine configuration with the cluster's ADL clearing account (config `adlClearing`). */
function withClearing(config: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  return { ...config, adlClearing: { account: ADL_CLEARING_ACCOUNT } };
}

/** A cover the coordinator pays into the partition's own cover account. */
function isCover(c: Record<string, unknown>): boolean {
  const to = c.to as { account?: unknown } | undefined;
  return c.type === 'deposit' && to?.account === COVER_ACCOUNT && String(c.commandId).startsWith('cover:');
}

/** The highest broadcast sequence the engine remembers applying (its `bcast:<seq>` command ids). */
function highWaterOf(engine: Engine): number {
  let high = 0;
  for (const id of engine.state.commandIds.keys()) {
    if (!id.startsWith('bcast:')) continue;
    const seq = Number(id.slice(6));
    if (Number.isSafeInteger(seq) && seq > high) high = seq;
  }
  return high;
}

function ledgerJson(engine: Engine): Record<string, { ledger: string; netDeposits: string }> {
  const out: Record<string, { ledger: string; netDeposits: string }> = {};
  for (const [asset, s] of ledgerSums(engine.state)) {
    out[asset] = { ledger: String(s.ledger), netDeposits: String(s.netDeposits) };
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
