/**
 * The coordinator: owns the cluster's insurance fund and pays partitions' shortfalls from it.
 *
 * Protocol (docs/cluster.md):
 * 1. A partition whose engine wrote off a bankrupt scope's deficit (its socialized-loss ledger
 *    fell) publishes `{type: 'shortfall', partition, total}` on the coordinator subject, `total`
 *    being its cumulative write-off in settlement-asset units (a running total, so a repeat or a
 *    late request is recognised: message id `shortfall:<partition>:<total>`).
 * 2. The coordinator, in one PostgreSQL transaction, pays `min(fund, total − highest total it
 *    already answered for that partition)` out of the fund and records the answer under
 *    (partition, total); a request it already answered changes nothing.
 * 3. It then publishes the payment to the partition as a `deposit` into the partition's cover
 *    account (command id and message id `cover:<partition>:<total>`), and only then acks the
 *    request; after a crash the request comes again and the recorded payment is re-sent (the
 *    partition's engine recognises the command id).
 * 4. Money in = `fund` commands (an operator's contribution, idempotent by id). Conservation:
 *    fund balance + Σ paid = Σ funded, and each partition's cover account holds exactly what the
 *    coordinator paid it (checked by conservation.ts).
 *
 * 5. Cross-partition ADL (adl.ts): a partition whose waterfall closed a bankrupt position's
 *    rest to a clearing subaccount publishes `{type: 'clearing', partition, sub, market, side,
 *    size, value}` (message id `clearing:<partition>:<sub>`; the first report is recorded). The
 *    coordinator asks every partition for its ranks (a partition that does not answer is asked
 *    again: twice per delivery, the request itself retried up to RANK_DELIVERIES times before it
 *    plans without it), plans legs (`planAdl`) and records them before sending any. Each leg is
 *    an `adl_leg` in the counterparty's partition (`adl:<p>:<sub>:<leg>`), whose answer says what
 *    it closed (clamped when the position shrank since it was ranked, refused when none is left),
 *    then the same size and value moved off the clearing subaccount in the bankrupt's partition
 *    (`adl:<p>:<sub>:<leg>:move`). What a clamped or refused leg did not place is ranked again,
 *    up to MAX_ROUNDS rounds; what nobody takes is closed by liquidating the clearing subaccount
 *    (`adl:<p>:<sub>:rest`: the backstop at the mark, its loss written off and reported as a
 *    shortfall). A leg without an answer (its partition is down) leaves the request
 *    unacknowledged (nak with a delay): it comes again and resumes from the record; a
 *    partition's engine answers a repeated command id with its first outcome.
 *
 * 6. Pair settlement (pairs.ts): after each clearing position, and on a `settle_pairs` request
 *    (idempotent by its id), a round numbered by the record realizes every partition's pair
 *    subaccount's PnL at the marks (`pairs:<round>:<p>`), withdraws the surplus into the pair
 *    pool (`…:out`), then, with every partition collected, decides and records the payouts and
 *    deposits them into the holes (`…:pay`). Resumed from the record on redelivery.
 *
 * 7. The pair timer: every `pairSettleIntervalMs` (default 60 s; 0 off), at the start of each
 *    time slot and once at start, the coordinator publishes `{type: 'settle_pairs', id:
 *    'timer:<slot start ms>'}` on its own subject (message id the same), unless its record says
 *    no partition's pair subaccount holds a position, or a round is still open (its request is
 *    pending and finishes it). Every coordinator derives the same id for a slot, so a second
 *    coordinator or a restart within the slot is one round: JetStream drops the repeated message
 *    id, and the record answers a known request id with its round.
 *
 * The coordinator's state is a small exact ledger of its own (not an Engine): six tables,
 * integers as NUMERIC, read back as strings and turned into bigint.
 * A request naming a partition outside 0…N−1 (an unknown scope) or malformed is refused with a
 * typed reason and changes nothing.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import pg from 'pg';
import { z } from 'zod';
import { formatDecimal } from '../core/num/fixed.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB, type AdlRank, planAdl } from './adl.ts';
import { coverKey, decideRound, type RoundDecision, type RoundRequest } from './coverage-round.ts';
import type { ClusterNames } from './names.ts';
import {
  type ClusterBus,
  connectBus,
  DEFAULT_NATS_URL,
  ensureTopology,
  publishAndAwait,
  publishCommand,
  REPLY_HEADER,
} from './nats.ts';
import { outCommand, pairsCommandId, payCommand, planPayouts, settleCommand } from './pairs.ts';
import { COVER_ACCOUNT } from './partition.ts';

const units = z.string().regex(/^[0-9]{1,40}$/, 'an integer count of settlement-asset units');

export const CoordinatorCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('shortfall'),
    partition: z.number().int(),
    total: units,
    /** Sent by earlier versions (ADL that moved money only); ignored. */
    market: z.string().min(1).max(64).optional(),
    side: z.enum(['long', 'short']).optional(),
  }),
  z.strictObject({
    type: z.literal('clearing'),
    partition: z.number().int(),
    /** The clearing subaccount (`b<seq>`) holding what the partition's ADL queue could not take. */
    sub: z.string().regex(/^b[0-9]{1,20}$/),
    market: z.string().regex(/^[A-Za-z0-9_.:/-]{1,64}$/),
    /** The bankrupt side (the clearing subaccount's; its counterparties are on the other). */
    side: z.enum(['long', 'short']),
    /** Its size, base units at 9 decimals. */
    size: units,
    /** Its entry value: the bankruptcy value of `size`, settlement units. */
    value: units,
  }),
  z.strictObject({
    /** A variation settlement round of the ADL pair subaccounts (pairs.ts), idempotent by `id`. */
    type: z.literal('settle_pairs'),
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
  }),
  z.strictObject({
    type: z.literal('fund'),
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    amount: units,
  }),
]);
export type CoordinatorCommand = z.output<typeof CoordinatorCommandSchema>;
type ClearingCommand = Extract<CoordinatorCommand, { type: 'clearing' }>;
type PairsRequest = Extract<CoordinatorCommand, { type: 'settle_pairs' }>;

export type CoordinatorOutcome =
  | { ok: true; kind: 'funded'; amount: string; replayed?: true }
  | {
      ok: true;
      kind: 'covered';
      partition: number;
      total: string;
      /** Paid from the fund. */
      paid: string;
      /** Left written off in the partition (socialized loss). */
      socialized?: string;
      replayed?: true;
    }
  | {
      ok: true;
      kind: 'deleveraged';
      partition: number;
      sub: string;
      /** Size (qty9) and value placed with counterparties by ADL legs. */
      placed: string;
      placedValue: string;
      /** Size nobody took (closed to the backstop by liquidating the clearing subaccount). */
      rest: string;
      replayed?: true;
    }
  | {
      ok: true;
      kind: 'pairs_settled';
      round: number;
      /** Settlement units the round took out of the partitions' pair subaccounts into the pool. */
      collected: string;
      /** Settlement units the round paid from the pool into pair subaccounts' holes. */
      paid: string;
      /** The pool after the round (rounding the holes did not need). */
      pool: string;
      replayed?: true;
    }
  | {
      ok: false;
      rejection: { code: 'UNKNOWN_SCOPE' | 'MALFORMED_MESSAGE' | 'STALE_SHORTFALL'; message: string };
    };

export interface CoordinatorOptions {
  readonly names: ClusterNames;
  readonly partitions: number;
  readonly pgUrl: string;
  readonly natsUrl?: string;
  /** Settlement asset and its decimals (covers are deposits of it). */
  readonly settlement: { readonly id: string; readonly decimals: number };
  readonly onFatal?: (err: Error) => void;
  /**
   * Milliseconds between timed pair settlement rounds (default DEFAULT_PAIR_SETTLE_INTERVAL_MS);
   * 0 turns the timer off (rounds then run only after an ADL and on request).
   */
  readonly pairSettleIntervalMs?: number;
}

/**
 * One minute: a pair subaccount's unrealized loss between rounds is at most one minute's price
 * move on the pair positions (small next to the margin the bankrupt's counterparties carried),
 * while an idle round costs only one `settle_clearing` per partition per minute.
 */
export const DEFAULT_PAIR_SETTLE_INTERVAL_MS = 60_000;

/** The `settle_pairs` request id of the timer's slot starting at `slotStartMs` (the same on every coordinator). */
export function pairTimerId(slotStartMs: number): string {
  return `timer:${slotStartMs}`;
}

/** What the pair timer did since this coordinator started (tests, status). */
export interface PairTimerCounts {
  /** Slots whose request was published (a repeat of a known id included). */
  readonly published: number;
  /** Slots skipped: no pair position in the record, or a round still open. */
  readonly skipped: number;
  readonly lastId?: string;
}

export interface CoordinatorLedger {
  readonly balance: bigint;
  readonly funded: bigint;
  /** Σ paid per partition (from the fund). */
  readonly paid: Map<number, bigint>;
  /** Σ paid from the fund (all partitions). */
  readonly fundPaid: bigint;
  /** Cross-partition ADL, one entry per clearing position reported (adl.ts). */
  readonly clearings: ClearingRecord[];
  /** Pair settlement (pairs.ts): every round's step per partition, and the pool. */
  readonly pairSteps: PairStepRecord[];
  readonly pairPool: bigint;
}

/** One partition's part of a pair settlement round, as the coordinator recorded it. */
export interface PairStepRecord {
  readonly round: number;
  readonly partition: number;
  /** planned → collected (settled: out, need recorded) → out (withdrawn) → paying (pay decided) → paid; or stuck. */
  readonly status: string;
  readonly out: bigint;
  readonly need: bigint;
  readonly pay: bigint;
}

/** The pool: Σ withdrawn out of partitions − Σ paid into them (decided), over every round. */
export function pairPoolOf(steps: readonly PairStepRecord[]): bigint {
  let pool = 0n;
  for (const x of steps) {
    if (x.status === 'out' || x.status === 'paying' || x.status === 'paid') pool += x.out;
    if (x.status === 'paying' || x.status === 'paid') pool -= x.pay;
  }
  return pool;
}

/** A clearing position as the coordinator recorded it, and how far its ADL has gone. */
export interface ClearingRecord {
  readonly partition: number;
  readonly sub: string;
  readonly market: string;
  readonly side: 'long' | 'short';
  readonly size: bigint;
  readonly value: bigint;
  /** Size and value applied in counterparties' partitions (legs answered). */
  readonly applied: bigint;
  readonly appliedValue: bigint;
  /** Size and value of legs sent or planned and not answered yet. */
  readonly pending: bigint;
  readonly pendingValue: bigint;
  /** Size and value moved off the clearing subaccount in its own partition. */
  readonly moved: bigint;
  readonly movedValue: bigint;
  /** 'open', or 'done' (placed, and any rest liquidated). */
  readonly state: string;
  /** Size closed by liquidating the clearing subaccount (nobody took it); 0 if none. */
  readonly rest: bigint;
}

/** An ADL leg or a rank request its partition did not answer in time: the request is retried later. */
class LegPendingError extends Error {
  override name = 'LegPendingError';
}

/** How long the coordinator waits for a partition's ranks, and for an ADL leg's outcome. */
const RANKS_WAIT_MS = 2000;
const LEG_WAIT_MS = 5000;
/** Delay before a request with an unanswered leg comes again. */
const RETRY_DELAY_MS = 1000;
/** Rank requests per partition in one delivery of a clearing request. */
const RANK_TRIES = 2;
/** Deliveries of a clearing request that wait for a silent partition's ranks before planning without it. */
const RANK_DELIVERIES = 5;
/** Rounds of ranking and legs for one clearing position (clamped legs leave a rest to rank again). */
const MAX_ROUNDS = 3;

/** Most requests decided in one round (one transaction). */
const MAX_ROUND = 1024;

/** The request in a message: the command, or why it is malformed. */
function parseCommand(msg: JsMsg): CoordinatorCommand | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(msg.string());
  } catch {
    return { error: 'a coordinator request is a JSON object' };
  }
  const parsed = CoordinatorCommandSchema.safeParse(body);
  return parsed.success ? parsed.data : { error: z.prettifyError(parsed.error) };
}

/** A well-formed request (refusal() found nothing) as the round's input. */
function toRoundRequest(c: Exclude<CoordinatorCommand, { type: 'clearing' | 'settle_pairs' }>): RoundRequest {
  if (c.type === 'fund') return { type: 'fund', id: c.id, amount: BigInt(c.amount) };
  // one spelling of the total for every id derived from it ("0503" and "503" are one request)
  return {
    type: 'shortfall',
    partition: c.partition,
    total: BigInt(c.total),
    ...(c.market !== undefined && c.side !== undefined ? { market: c.market, side: c.side } : {}),
  };
}

function outcomeOf(d: RoundDecision): CoordinatorOutcome {
  if (d.kind === 'funded')
    return { ok: true, kind: 'funded', amount: String(d.amount), ...(d.replayed ? { replayed: true } : {}) };
  if (d.kind === 'stale')
    return {
      ok: false,
      rejection: {
        code: 'STALE_SHORTFALL',
        message: `partition ${d.partition} already had ${d.answered} answered`,
      },
    };
  return {
    ok: true,
    kind: 'covered',
    partition: d.partition,
    total: String(d.total),
    paid: String(d.paid),
    ...(d.replayed ? { replayed: true } : {}),
  };
}

export class Coordinator {
  private running = true;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private fatal: Error | undefined;
  private roundCount = 0;
  private pairTimer: ReturnType<typeof setTimeout> | undefined;
  private pairTick: Promise<void> | undefined;
  private pairSlot = -1;
  private pairCounts: { published: number; skipped: number; lastId?: string } = {
    published: 0,
    skipped: 0,
  };

  private constructor(
    private readonly opts: CoordinatorOptions,
    private readonly bus: ClusterBus,
    private readonly db: pg.Client,
    private readonly schema: string,
  ) {}

  static async start(opts: CoordinatorOptions): Promise<Coordinator> {
    const schema = `"${opts.names.coordinatorSchema}"`;
    // named in pg_stat_activity, so an operator (or a fault test) can find this session
    const db = new pg.Client({
      connectionString: opts.pgUrl,
      connectionTimeoutMillis: 10_000,
      application_name: `plimsoll-coordinator ${opts.names.coordinatorSchema}`.slice(0, 63),
    });
    db.on('error', () => {});
    await db.connect();
    await migrate(db, schema);
    const bus = await connectBus(opts.natsUrl ?? DEFAULT_NATS_URL, `plimsoll-${opts.names.name}-coord`);
    await ensureTopology(bus, opts.names, opts.partitions);
    const c = new Coordinator(opts, bus, db, schema);
    const consumer = await bus.js.consumers.get(opts.names.coordinatorStream, opts.names.coordinatorConsumer);
    c.messages = await consumer.consume({ max_messages: 256 });
    c.loop = c.run(c.messages);
    const every = opts.pairSettleIntervalMs ?? DEFAULT_PAIR_SETTLE_INTERVAL_MS;
    if (!Number.isSafeInteger(every) || every < 0)
      throw new Error(`pairSettleIntervalMs: a whole number of milliseconds ≥ 0, not ${every}`);
    if (every > 0) c.schedulePairTick(every, 0);
    return c;
  }

  /** The pair timer's counts since start. */
  get pairTimerCounts(): PairTimerCounts {
    return { ...this.pairCounts };
  }

  private schedulePairTick(every: number, delayMs: number): void {
    if (!this.running) return;
    this.pairTimer = setTimeout(() => {
      this.pairTick = this.pairTickOnce(every);
    }, delayMs);
    this.pairTimer.unref?.();
  }

  /**
   * One tick of the pair timer: for a slot not handled yet, publish its request when the record
   * says a pair position exists and no round is open; then sleep to the next slot's start. A
   * failed look-up or publish (the database or NATS briefly away) is tried again within the slot.
   */
  private async pairTickOnce(every: number): Promise<void> {
    const now = Date.now();
    const slot = now - (now % every);
    let retry = false;
    if (slot !== this.pairSlot) {
      try {
        if (await this.pairsNeedSettling()) {
          const id = pairTimerId(slot);
          await publishCommand(
            this.bus,
            this.opts.names.coordinatorSubject,
            { type: 'settle_pairs', id },
            id,
          );
          this.pairCounts = { ...this.pairCounts, published: this.pairCounts.published + 1, lastId: id };
        } else this.pairCounts = { ...this.pairCounts, skipped: this.pairCounts.skipped + 1 };
        this.pairSlot = slot;
      } catch {
        retry = true;
      }
    }
    const toNext = slot + every - Date.now();
    this.schedulePairTick(every, retry ? Math.min(1000, Math.max(toNext, 0)) : Math.max(toNext, 0) + 1);
  }

  /**
   * Whether a timed round has anything to do, from the record alone (no partition asked): some
   * partition's pair subaccount holds a net position in some market — each leg a counterparty
   * took puts its size on the counterparty side in the counterparty's partition, and each move
   * off a clearing subaccount the bankrupt side in the bankrupt's — and no round is open.
   */
  private async pairsNeedSettling(): Promise<boolean> {
    const t = this.schema;
    const r = await this.db.query<{ open: boolean; held: boolean }>(
      `WITH q AS (
         SELECT l.src_partition AS p, c.market,
                CASE WHEN c.side = 'long' THEN -l.applied_size ELSE l.applied_size END AS size
         FROM ${t}.clearing_legs l JOIN ${t}.clearings c ON c.partition = l.partition AND c.sub = l.sub
         WHERE l.applied_size > 0
         UNION ALL
         SELECT l.partition, c.market,
                CASE WHEN c.side = 'long' THEN l.applied_size ELSE -l.applied_size END
         FROM ${t}.clearing_legs l JOIN ${t}.clearings c ON c.partition = l.partition AND c.sub = l.sub
         WHERE l.status = 'moved'
       )
       SELECT EXISTS (SELECT 1 FROM ${t}.pair_rounds WHERE state = 'open') AS open,
              EXISTS (SELECT 1 FROM q GROUP BY p, market HAVING SUM(size) <> 0) AS held`,
    );
    const x = r.rows[0]!;
    return x.held && !x.open;
  }

  get failure(): Error | undefined {
    return this.fatal;
  }

  /** Rounds answered since start (each one transaction, however many requests it held). */
  get rounds(): number {
    return this.roundCount;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    const queue: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    void (async () => {
      for await (const msg of messages) {
        queue.push(msg);
        wake?.();
      }
    })()
      .catch(() => {})
      .finally(() => {
        ended = true;
        wake?.();
      });
    while (this.running) {
      if (queue.length === 0) {
        if (ended) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      try {
        await this.round(queue.splice(0, MAX_ROUND));
      } catch (err) {
        this.fatal = err instanceof Error ? err : new Error(String(err));
        this.running = false;
        messages.stop();
        void this.bus.nc.close().catch(() => {});
        void this.db.end().catch(() => {});
        this.opts.onFatal?.(this.fatal);
        return;
      }
    }
  }

  /** Answers one round of requests (see run). */
  private async round(msgs: readonly JsMsg[]): Promise<void> {
    this.roundCount += 1;
    const outcomes: (CoordinatorOutcome | undefined)[] = msgs.map((m) => this.refusal(m));
    const asked: { at: number; request: RoundRequest }[] = [];
    const clearings: number[] = [];
    const pairs: number[] = [];
    for (const [at, m] of msgs.entries()) {
      if (outcomes[at] !== undefined) continue;
      const c = parseCommand(m) as CoordinatorCommand;
      if (c.type === 'clearing') clearings.push(at);
      else if (c.type === 'settle_pairs') pairs.push(at);
      else asked.push({ at, request: toRoundRequest(c) });
    }
    if (asked.length > 0) {
      const decided = await this.tx(() => this.decide(asked.map((a) => a.request)));
      for (const [i, d] of decided.entries()) outcomes[asked[i]!.at] = outcomeOf(d);
    }
    const covered = outcomes.flatMap((o) => (o?.ok === true && o.kind === 'covered' ? [o] : []));
    // re-sent on a repeat too: the partition's engine recognises the command id
    await Promise.all(
      covered.map((o) => this.payCover(o.partition, `cover:${o.partition}:${o.total}`, BigInt(o.paid))),
    );
    // clearing positions (cross-partition ADL), one at a time after the round's covers: each
    // resumes from its record, so a leg still unanswered sends the request back later
    const pending = new Set<number>();
    for (const at of clearings) {
      try {
        const c = parseCommand(msgs[at]!) as ClearingCommand;
        outcomes[at] = await this.deleverage(c);
        // each ADL leaves pairs: settle them (a round per clearing position, resumed on redelivery)
        await this.settlePairs(`adl:${c.partition}:${c.sub}`);
      } catch (err) {
        if (!(err instanceof LegPendingError)) throw err;
        pending.add(at);
      }
    }
    for (const at of pairs) {
      try {
        outcomes[at] = await this.settlePairs((parseCommand(msgs[at]!) as PairsRequest).id);
      } catch (err) {
        if (!(err instanceof LegPendingError)) throw err;
        pending.add(at);
      }
    }
    for (const [at, msg] of msgs.entries()) {
      if (pending.has(at)) {
        msg.nak(RETRY_DELAY_MS);
        continue;
      }
      msg.ack();
      const reply = msg.headers?.get(REPLY_HEADER);
      if (reply) this.bus.nc.publish(reply, JSON.stringify(outcomes[at]));
    }
  }

  /** Why a request is refused before the ledger is asked (malformed, unknown partition), or undefined. */
  private refusal(msg: JsMsg): CoordinatorOutcome | undefined {
    const c = parseCommand(msg);
    if ('error' in c) return { ok: false, rejection: { code: 'MALFORMED_MESSAGE', message: c.error } };
    if ('partition' in c && (c.partition < 0 || c.partition >= this.opts.partitions)) {
      return {
        ok: false,
        rejection: {
          code: 'UNKNOWN_SCOPE',
          message: `partition ${c.partition} is not one of the cluster's 0…${this.opts.partitions - 1}`,
        },
      };
    }
    return undefined;
  }

  /**
   * One round's decisions (inside its transaction): reads the fund, the named partitions' highest
   * answered totals, the recorded answers and contribution ids the round names, decides
   * (decideRound) and records the new rows — seven statements at most, however many requests.
   */
  private async decide(requests: readonly RoundRequest[]): Promise<readonly RoundDecision[]> {
    const t = this.schema;
    const shortfalls = requests.filter((r) => r.type === 'shortfall');
    const fundIds = requests.flatMap((r) => (r.type === 'fund' ? [r.id] : []));
    const fund = await this.db.query<{ balance: string }>(
      `SELECT balance::text FROM ${t}.fund WHERE id = 1 FOR UPDATE`,
    );
    const highest = new Map<number, bigint>();
    const answered = new Map<string, bigint>();
    if (shortfalls.length > 0) {
      const high = await this.db.query<{ partition: number; m: string }>(
        `SELECT partition, MAX(total)::text AS m FROM ${t}.covers WHERE partition = ANY($1::int[]) GROUP BY partition`,
        [[...new Set(shortfalls.map((r) => r.partition))]],
      );
      for (const r of high.rows) highest.set(r.partition, BigInt(r.m));
      const prior = await this.db.query<{ partition: number; total: string; paid: string }>(
        `SELECT c.partition, c.total::text, c.paid::text FROM ${t}.covers c
         JOIN unnest($1::int[], $2::numeric[]) AS r(p, t) ON c.partition = r.p AND c.total = r.t`,
        [shortfalls.map((r) => r.partition), shortfalls.map((r) => String(r.total))],
      );
      for (const r of prior.rows) answered.set(coverKey(r.partition, BigInt(r.total)), BigInt(r.paid));
    }
    const funded = new Set<string>();
    if (fundIds.length > 0) {
      const known = await this.db.query<{ id: string }>(
        `SELECT id FROM ${t}.funding WHERE id = ANY($1::text[])`,
        [fundIds],
      );
      for (const r of known.rows) funded.add(r.id);
    }
    const out = decideRound({ balance: BigInt(fund.rows[0]!.balance), highest, answered, funded }, requests);
    if (out.funding.length > 0) {
      await this.db.query(
        `INSERT INTO ${t}.funding (id, amount) SELECT * FROM unnest($1::text[], $2::numeric[])`,
        [out.funding.map((f) => f.id), out.funding.map((f) => String(f.amount))],
      );
    }
    if (out.covers.length > 0) {
      const c = out.covers;
      await this.db.query(
        `INSERT INTO ${t}.covers (partition, total, paid, need, socialized)
         SELECT * FROM unnest($1::int[], $2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[])`,
        [
          c.map((x) => x.partition),
          c.map((x) => String(x.total)),
          c.map((x) => String(x.paid)),
          c.map((x) => String(x.need)),
          c.map((x) => String(x.need - x.paid)),
        ],
      );
    }
    if (out.funding.length > 0 || out.covers.length > 0) {
      await this.db.query(`UPDATE ${t}.fund SET balance = $1, funded = funded + $2 WHERE id = 1`, [
        String(out.balance),
        String(out.fundedDelta),
      ]);
    }
    return out.decisions;
  }

  /** A deposit of `amount` settlement units into the partition's cover account (nothing if 0). */
  private async payCover(partition: number, id: string, amount: bigint): Promise<void> {
    if (amount <= 0n) return;
    const { id: asset, decimals } = this.opts.settlement;
    await publishCommand(
      this.bus,
      this.opts.names.commandSubject(partition),
      {
        type: 'deposit',
        commandId: id,
        to: { account: COVER_ACCOUNT },
        asset,
        amount: formatDecimal(amount, decimals),
      },
      id,
    );
  }

  /**
   * Cross-partition ADL of one clearing position: record it (the first report wins), then in
   * rounds — finish the recorded legs (each counterparty's leg, then its move off the clearing
   * subaccount), rank again for what is left, plan and record — until all is placed, nobody
   * offers, or MAX_ROUNDS; what is left is closed by liquidating the clearing subaccount. Resumes
   * from the record when the request comes again.
   */
  private async deleverage(c: ClearingCommand): Promise<CoordinatorOutcome> {
    const t = this.schema;
    const key = [c.partition, c.sub];
    const inserted = await this.db.query(
      `INSERT INTO ${t}.clearings (partition, sub, market, side, size, value) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (partition, sub) DO NOTHING`,
      [...key, c.market, c.side, String(BigInt(c.size)), String(BigInt(c.value))],
    );
    // answered before: recorded and done when this delivery came
    let replayed = inserted.rowCount === 0;
    for (;;) {
      const rec = await this.clearingRow(c.partition, c.sub);
      if (rec.state === 'done') break;
      replayed = false;
      await this.finishLegs(rec);
      const now = await this.clearingRow(c.partition, c.sub);
      const left = now.size - now.applied;
      const valueLeft = now.value - now.appliedValue;
      let legs: ReturnType<typeof planAdl> = [];
      if (left > 0n && now.rounds < MAX_ROUNDS) {
        const { ranks, missing } = await this.gatherRanks(now.market, now.side);
        if (missing.length > 0 && now.rankDeliveries + 1 < RANK_DELIVERIES) {
          await this.db.query(
            `UPDATE ${t}.clearings SET rank_deliveries = rank_deliveries + 1 WHERE partition = $1 AND sub = $2`,
            key,
          );
          throw new LegPendingError(`partitions ${missing.join(', ')} did not answer the rank request`);
        }
        legs = planAdl(ranks, left, valueLeft);
      }
      if (legs.length === 0) {
        await this.closeRest(now, left);
        break;
      }
      await this.tx(async () => {
        const base = now.legs;
        for (const [i, l] of legs.entries()) {
          await this.db.query(
            `INSERT INTO ${t}.clearing_legs (partition, sub, leg, round, src_partition, account, acc_sub, size, value, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'planned')`,
            [...key, base + i, now.rounds, l.partition, l.account, l.sub, String(l.size), String(l.value)],
          );
        }
        await this.db.query(
          `UPDATE ${t}.clearings SET rounds = rounds + 1, rank_deliveries = 0 WHERE partition = $1 AND sub = $2`,
          key,
        );
      });
    }
    const done = await this.clearingRow(c.partition, c.sub);
    return {
      ok: true,
      kind: 'deleveraged',
      partition: c.partition,
      sub: c.sub,
      placed: String(done.applied),
      placedValue: String(done.appliedValue),
      rest: String(done.rest),
      ...(replayed ? { replayed: true as const } : {}),
    };
  }

  /**
   * A variation settlement round of the pair subaccounts (pairs.ts) for request `request`: the
   * round is recorded under the request (a repeat finds it), open rounds are finished oldest
   * first, each from its record. A partition that does not answer leaves the request pending.
   */
  private async settlePairs(request: string): Promise<CoordinatorOutcome> {
    const t = this.schema;
    const n = this.opts.partitions;
    let known = await this.db.query<{ round: number; state: string }>(
      `SELECT round, state FROM ${t}.pair_rounds WHERE request = $1`,
      [request],
    );
    const replayed = known.rows[0]?.state === 'done';
    if (known.rows.length === 0) {
      await this.tx(async () => {
        await this.db.query(`LOCK TABLE ${t}.pair_rounds IN EXCLUSIVE MODE`);
        const next = await this.db.query<{ r: number }>(
          `SELECT COALESCE(MAX(round), 0) + 1 AS r FROM ${t}.pair_rounds`,
        );
        const round = next.rows[0]!.r;
        await this.db.query(`INSERT INTO ${t}.pair_rounds (round, request) VALUES ($1, $2)`, [
          round,
          request,
        ]);
        await this.db.query(
          `INSERT INTO ${t}.pair_steps (round, partition) SELECT $1, p FROM generate_series(0, $2::int - 1) p`,
          [round, n],
        );
      });
      known = await this.db.query(`SELECT round, state FROM ${t}.pair_rounds WHERE request = $1`, [request]);
    }
    const round = known.rows[0]!.round;
    const open = await this.db.query<{ round: number }>(
      `SELECT round FROM ${t}.pair_rounds WHERE state = 'open' AND round <= $1 ORDER BY round`,
      [round],
    );
    for (const r of open.rows) await this.finishPairRound(r.round);
    const steps = await this.db.query<{ out: string; pay: string; pool: string }>(
      `SELECT COALESCE(SUM(out) FILTER (WHERE round = $1 AND status IN ('out', 'paying', 'paid')), 0)::text AS out,
              COALESCE(SUM(pay) FILTER (WHERE round = $1 AND status IN ('paying', 'paid')), 0)::text AS pay,
              (COALESCE(SUM(out) FILTER (WHERE status IN ('out', 'paying', 'paid')), 0)
               - COALESCE(SUM(pay) FILTER (WHERE status IN ('paying', 'paid')), 0))::text AS pool
       FROM ${t}.pair_steps`,
      [round],
    );
    const x = steps.rows[0]!;
    return {
      ok: true,
      kind: 'pairs_settled',
      round,
      collected: x.out,
      paid: x.pay,
      pool: x.pool,
      ...(replayed ? { replayed: true as const } : {}),
    };
  }

  /**
   * Finishes one pair settlement round from its record: every partition's settlement, then its
   * surplus withdrawn from the transit subaccount; once all are collected, the payouts decided
   * and recorded (one transaction), then each deposited. Every step's command id is the record's.
   */
  private async finishPairRound(round: number): Promise<void> {
    const t = this.schema;
    const { id: asset, decimals } = this.opts.settlement;
    const read = async () =>
      (
        await this.db.query<{ partition: number; status: string; out: string; need: string; pay: string }>(
          `SELECT partition, status, out::text, need::text, pay::text FROM ${t}.pair_steps WHERE round = $1 ORDER BY partition`,
          [round],
        )
      ).rows;
    const set = (p: number, fields: string, values: unknown[]) =>
      this.db.query(`UPDATE ${t}.pair_steps SET ${fields} WHERE round = $1 AND partition = $2`, [
        round,
        p,
        ...values,
      ]);
    // each partition on its own: one that does not answer holds back only the payouts
    const waiting: number[] = [];
    for (const s of await read()) {
      try {
        let status = s.status;
        let out = BigInt(s.out);
        if (status === 'planned') {
          const answer = await this.send(
            s.partition,
            pairsCommandId(round, s.partition, 'settle'),
            settleCommand(round, s.partition),
          );
          const settled = (answer as { settled?: { out: string; cash: string } }).settled;
          // refused (no pair subaccount there, no mark): nothing collected, no hole recorded
          out = answer.ok === true && settled !== undefined ? BigInt(settled.out) : 0n;
          const cash = answer.ok === true && settled !== undefined ? BigInt(settled.cash) : 0n;
          status = 'collected';
          await set(s.partition, `status = 'collected', out = $3, need = $4`, [
            String(out),
            String(cash < 0n ? -cash : 0n),
          ]);
        }
        if (status === 'collected') {
          if (out > 0n) {
            const answer = await this.send(
              s.partition,
              pairsCommandId(round, s.partition, 'out'),
              outCommand(round, s.partition, asset, decimals, out),
            );
            // refused (it cannot be: the transit subaccount holds it): the money stays there
            status = answer.ok === true ? 'out' : 'stuck';
          } else status = 'out';
          await set(s.partition, `status = $3`, [status]);
        }
      } catch (err) {
        if (!(err instanceof LegPendingError)) throw err;
        waiting.push(s.partition);
      }
    }
    if (waiting.length > 0)
      throw new LegPendingError(`pairs round ${round}: partitions ${waiting.join(', ')} did not answer`);
    const steps = await read();
    if (steps.some((s) => s.status === 'out')) {
      await this.tx(async () => {
        await this.db.query(`LOCK TABLE ${t}.pair_steps IN EXCLUSIVE MODE`);
        const all = await this.db.query<{ status: string; out: string; pay: string }>(
          `SELECT status, out::text, pay::text FROM ${t}.pair_steps`,
        );
        const pool = pairPoolOf(
          all.rows.map((r) => ({
            round,
            partition: 0,
            status: r.status,
            out: BigInt(r.out),
            need: 0n,
            pay: BigInt(r.pay),
          })),
        );
        const holes = steps
          .filter((s) => s.status === 'out')
          .map((s) => ({ partition: s.partition, need: BigInt(s.need) }));
        const pays = new Map(planPayouts(holes, pool).map((x) => [x.partition, x.pay]));
        for (const h of holes)
          await set(h.partition, `status = 'paying', pay = $3`, [String(pays.get(h.partition) ?? 0n)]);
      });
    }
    for (const s of await read()) {
      if (s.status !== 'paying') continue;
      const pay = BigInt(s.pay);
      if (pay > 0n) {
        const answer = await this.send(
          s.partition,
          pairsCommandId(round, s.partition, 'pay'),
          payCommand(round, s.partition, asset, decimals, pay),
        );
        if (answer.ok !== true)
          throw new Error(`pairs round ${round}: the deposit into partition ${s.partition} was refused`);
      }
      await set(s.partition, `status = 'paid'`, []);
    }
    await this.db.query(`UPDATE ${t}.pair_rounds SET state = 'done' WHERE round = $1`, [round]);
  }

  private async clearingRow(partition: number, sub: string) {
    const t = this.schema;
    const r = (
      await this.db.query<{
        market: string;
        side: 'long' | 'short';
        size: string;
        value: string;
        rounds: number;
        rank_deliveries: number;
        state: string;
        rest: string;
        applied: string | null;
        applied_value: string | null;
        legs: string;
      }>(
        `SELECT c.market, c.side, c.size::text, c.value::text, c.rounds, c.rank_deliveries, c.state, c.rest::text,
           (SELECT SUM(applied_size)::text FROM ${t}.clearing_legs l WHERE l.partition = c.partition AND l.sub = c.sub) AS applied,
           (SELECT SUM(applied_value)::text FROM ${t}.clearing_legs l WHERE l.partition = c.partition AND l.sub = c.sub) AS applied_value,
           (SELECT COUNT(*)::text FROM ${t}.clearing_legs l WHERE l.partition = c.partition AND l.sub = c.sub) AS legs
         FROM ${t}.clearings c WHERE c.partition = $1 AND c.sub = $2`,
        [partition, sub],
      )
    ).rows[0]!;
    return {
      partition,
      sub,
      market: r.market,
      side: r.side,
      size: BigInt(r.size),
      value: BigInt(r.value),
      rounds: r.rounds,
      rankDeliveries: r.rank_deliveries,
      state: r.state,
      rest: BigInt(r.rest),
      applied: BigInt(r.applied ?? '0'),
      appliedValue: BigInt(r.applied_value ?? '0'),
      legs: Number(r.legs),
    };
  }

  /**
   * Sends every recorded leg of the clearing position that has no answer yet to its
   * counterparty's partition and records what it closed (0 when refused), then moves each
   * applied size off the clearing subaccount in the bankrupt's partition.
   */
  private async finishLegs(rec: { partition: number; sub: string; market: string; side: 'long' | 'short' }) {
    const t = this.schema;
    const legs = await this.db.query<{
      leg: number;
      src_partition: number;
      account: string;
      acc_sub: string;
      size: string;
      value: string;
      status: string;
      applied_size: string;
      applied_value: string;
    }>(
      `SELECT leg, src_partition, account, acc_sub, size::text, value::text, status, applied_size::text, applied_value::text
       FROM ${t}.clearing_legs WHERE partition = $1 AND sub = $2 AND status IN ('planned', 'applied') ORDER BY leg`,
      [rec.partition, rec.sub],
    );
    const counterSide = rec.side === 'long' ? 'short' : 'long';
    for (const l of legs.rows) {
      const id = `adl:${rec.partition}:${rec.sub}:${l.leg}`;
      let size = BigInt(l.applied_size);
      let value = BigInt(l.applied_value);
      if (l.status === 'planned') {
        const answer = await this.send(l.src_partition, id, {
          type: 'adl_leg',
          market: rec.market,
          subaccount: { account: l.account, sub: l.acc_sub },
          side: counterSide,
          size: formatDecimal(BigInt(l.size), 9),
          value: formatDecimal(BigInt(l.value), this.opts.settlement.decimals),
          clearing: { account: ADL_CLEARING_ACCOUNT, sub: ADL_PAIR_SUB },
        });
        const traded =
          answer.ok === true ? (answer as { traded?: { size: string; value: string } }).traded : undefined;
        size = traded === undefined ? 0n : BigInt(traded.size);
        value = traded === undefined ? 0n : BigInt(traded.value);
        await this.db.query(
          `UPDATE ${t}.clearing_legs SET status = $4, applied_size = $5, applied_value = $6
           WHERE partition = $1 AND sub = $2 AND leg = $3`,
          [rec.partition, rec.sub, l.leg, size > 0n ? 'applied' : 'refused', String(size), String(value)],
        );
        if (size === 0n) continue;
      }
      // the clearing subaccount gives up what the counterparty took, at the same value
      const moved = await this.send(rec.partition, `${id}:move`, {
        type: 'adl_leg',
        market: rec.market,
        subaccount: { account: ADL_CLEARING_ACCOUNT, sub: rec.sub },
        side: rec.side,
        size: formatDecimal(size, 9),
        value: formatDecimal(value, this.opts.settlement.decimals),
        clearing: { account: ADL_CLEARING_ACCOUNT, sub: ADL_PAIR_SUB },
      });
      await this.db.query(
        `UPDATE ${t}.clearing_legs SET status = $4 WHERE partition = $1 AND sub = $2 AND leg = $3`,
        [rec.partition, rec.sub, l.leg, moved.ok === true ? 'moved' : 'move_refused'],
      );
    }
  }

  /** Liquidates the clearing subaccount for what nobody took (`left` > 0), then marks the position done. */
  private async closeRest(rec: { partition: number; sub: string }, left: bigint): Promise<void> {
    let rest = 0n;
    if (left > 0n) {
      const answer = await this.send(rec.partition, `adl:${rec.partition}:${rec.sub}:rest`, {
        type: 'liquidate',
        subaccount: { account: ADL_CLEARING_ACCOUNT, sub: rec.sub },
      });
      // a partial liquidation (the clearing subaccount is no longer bankrupt) closes less: it keeps the rest
      const traded = answer.ok === true ? (answer as { traded?: { size: string } }).traded : undefined;
      rest = traded === undefined ? 0n : BigInt(traded.size);
    }
    await this.db.query(
      `UPDATE ${this.schema}.clearings SET state = 'done', rest = $3 WHERE partition = $1 AND sub = $2`,
      [rec.partition, rec.sub, String(rest)],
    );
  }

  /**
   * Every partition's ranks for a bankrupt `side` position in `market`; a partition that does
   * not answer is asked again (RANK_TRIES), and listed in `missing` if it never does.
   */
  private async gatherRanks(
    market: string,
    side: 'long' | 'short',
  ): Promise<{ ranks: AdlRank[]; missing: number[] }> {
    const answers = await Promise.all(
      Array.from({ length: this.opts.partitions }, async (_, q) => {
        for (let attempt = 0; attempt < RANK_TRIES; attempt++) {
          try {
            const msg = await this.bus.nc.request(
              this.opts.names.querySubject(q),
              JSON.stringify({ ranks: { market, side } }),
              { timeout: RANKS_WAIT_MS },
            );
            const ranks = msg.json<{ ranks?: unknown }>().ranks;
            return Array.isArray(ranks) ? ranks.filter((r) => wellFormedRank(r, q)) : [];
          } catch {
            // no answer (the partition is down or slow): ask again
          }
        }
        return undefined;
      }),
    );
    const missing = answers.flatMap((a, q) => (a === undefined ? [q] : []));
    return { ranks: answers.flatMap((a) => a ?? []), missing };
  }

  /**
   * Sends one coordinator command to a partition and returns the worker's answer; a partition
   * that does not answer in time leaves the request pending (it comes again).
   */
  private async send(
    partition: number,
    id: string,
    command: Record<string, unknown>,
  ): Promise<{ ok?: unknown; rejection?: unknown }> {
    const body = { ...command, commandId: id };
    const subject = this.opts.names.commandSubject(partition);
    let r = await publishAndAwait(this.bus, subject, body, id, LEG_WAIT_MS);
    // a repeated message id is dropped by JetStream: ask again under a fresh one, the engine
    // answers a known command id with its first outcome
    if (r.duplicate === true) {
      r = await publishAndAwait(this.bus, subject, body, `${id}:again:${Date.now()}`, LEG_WAIT_MS);
    }
    const answer = r.answer as { ok?: unknown; rejection?: unknown } | undefined;
    if (answer === undefined) throw new LegPendingError(`${id}: partition ${partition} did not answer`);
    return answer;
  }

  private async tx<T>(body: () => Promise<T>): Promise<T> {
    await this.db.query('BEGIN');
    try {
      const out = await body();
      await this.db.query('COMMIT');
      return out;
    } catch (err) {
      await this.db.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  async stop(): Promise<void> {
    if (this.fatal) return;
    this.running = false;
    clearTimeout(this.pairTimer);
    await this.pairTick;
    this.messages?.stop();
    await this.loop;
    await this.bus.nc.drain().catch(() => {});
    await this.db.end().catch(() => {});
  }
}

async function migrate(db: pg.Client, schema: string): Promise<void> {
  await db.query('BEGIN');
  try {
    // concurrent starts (a restart racing its predecessor) serialize on one advisory lock
    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [schema]);
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await db.query(`
      CREATE TABLE IF NOT EXISTS ${schema}.fund (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        balance NUMERIC(60, 0) NOT NULL CHECK (balance >= 0),
        funded NUMERIC(60, 0) NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${schema}.funding (id TEXT PRIMARY KEY, amount NUMERIC(60, 0) NOT NULL);
      CREATE TABLE IF NOT EXISTS ${schema}.covers (
        partition INTEGER NOT NULL,
        total NUMERIC(60, 0) NOT NULL,
        paid NUMERIC(60, 0) NOT NULL CHECK (paid >= 0),
        PRIMARY KEY (partition, total)
      );
      INSERT INTO ${schema}.fund (id, balance, funded) VALUES (1, 0, 0) ON CONFLICT (id) DO NOTHING;
      ALTER TABLE ${schema}.covers
        ADD COLUMN IF NOT EXISTS need NUMERIC(60, 0),
        ADD COLUMN IF NOT EXISTS socialized NUMERIC(60, 0) NOT NULL DEFAULT 0;
      CREATE TABLE IF NOT EXISTS ${schema}.clearings (
        partition INTEGER NOT NULL,
        sub TEXT NOT NULL,
        market TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('long', 'short')),
        size NUMERIC(60, 0) NOT NULL CHECK (size > 0),
        value NUMERIC(60, 0) NOT NULL CHECK (value >= 0),
        rounds INTEGER NOT NULL DEFAULT 0,
        rank_deliveries INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
        rest NUMERIC(60, 0) NOT NULL DEFAULT 0,
        PRIMARY KEY (partition, sub)
      );
      CREATE TABLE IF NOT EXISTS ${schema}.clearing_legs (
        partition INTEGER NOT NULL,
        sub TEXT NOT NULL,
        leg INTEGER NOT NULL,
        round INTEGER NOT NULL,
        src_partition INTEGER NOT NULL,
        account TEXT NOT NULL,
        acc_sub TEXT NOT NULL,
        size NUMERIC(60, 0) NOT NULL CHECK (size > 0),
        value NUMERIC(60, 0) NOT NULL CHECK (value >= 0),
        status TEXT NOT NULL CHECK (status IN ('planned', 'applied', 'refused', 'moved', 'move_refused')),
        applied_size NUMERIC(60, 0) NOT NULL DEFAULT 0,
        applied_value NUMERIC(60, 0) NOT NULL DEFAULT 0,
        PRIMARY KEY (partition, sub, leg)
      );
      CREATE TABLE IF NOT EXISTS ${schema}.pair_rounds (
        round INTEGER PRIMARY KEY,
        request TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done'))
      );
      CREATE TABLE IF NOT EXISTS ${schema}.pair_steps (
        round INTEGER NOT NULL,
        partition INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'planned'
          CHECK (status IN ('planned', 'collected', 'out', 'stuck', 'paying', 'paid')),
        out NUMERIC(60, 0) NOT NULL DEFAULT 0 CHECK (out >= 0),
        need NUMERIC(60, 0) NOT NULL DEFAULT 0 CHECK (need >= 0),
        pay NUMERIC(60, 0) NOT NULL DEFAULT 0 CHECK (pay >= 0),
        PRIMARY KEY (round, partition)
      );
    `);
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The coordinator's ledger as stored (for the conservation check). */
export async function readCoordinatorLedger(pgUrl: string, names: ClusterNames): Promise<CoordinatorLedger> {
  const schema = `"${names.coordinatorSchema}"`;
  const db = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 10_000 });
  db.on('error', () => {});
  await db.connect();
  try {
    const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
      `${schema}.fund`,
    ]);
    if (exists.rows[0]?.t == null) {
      return {
        balance: 0n,
        funded: 0n,
        paid: new Map(),
        fundPaid: 0n,
        clearings: [],
        pairSteps: [],
        pairPool: 0n,
      };
    }
    const fund = await db.query<{ balance: string; funded: string }>(
      `SELECT balance::text, funded::text FROM ${schema}.fund WHERE id = 1`,
    );
    const covers = await db.query<{ partition: number; paid: string }>(
      `SELECT partition, SUM(paid)::text AS paid FROM ${schema}.covers GROUP BY partition`,
    );
    let fundPaid = 0n;
    for (const r of covers.rows) fundPaid += BigInt(r.paid);
    const rows = await db.query<{
      partition: number;
      sub: string;
      market: string;
      side: 'long' | 'short';
      size: string;
      value: string;
      state: string;
      rest: string;
    }>(
      `SELECT partition, sub, market, side, size::text, value::text, state, rest::text FROM ${schema}.clearings
       ORDER BY partition, sub`,
    );
    const legs = await db.query<{
      partition: number;
      sub: string;
      status: string;
      size: string;
      value: string;
      applied_size: string;
      applied_value: string;
    }>(
      `SELECT partition, sub, status, size::text, value::text, applied_size::text, applied_value::text
       FROM ${schema}.clearing_legs`,
    );
    const clearings: ClearingRecord[] = rows.rows.map((r) => {
      let applied = 0n;
      let appliedValue = 0n;
      let pending = 0n;
      let pendingValue = 0n;
      let moved = 0n;
      let movedValue = 0n;
      for (const l of legs.rows) {
        if (l.partition !== r.partition || l.sub !== r.sub) continue;
        applied += BigInt(l.applied_size);
        appliedValue += BigInt(l.applied_value);
        if (l.status === 'planned') {
          pending += BigInt(l.size);
          pendingValue += BigInt(l.value);
        }
        if (l.status === 'moved') {
          moved += BigInt(l.applied_size);
          movedValue += BigInt(l.applied_value);
        }
      }
      return {
        partition: r.partition,
        sub: r.sub,
        market: r.market,
        side: r.side,
        size: BigInt(r.size),
        value: BigInt(r.value),
        applied,
        appliedValue,
        pending,
        pendingValue,
        moved,
        movedValue,
        state: r.state,
        rest: BigInt(r.rest),
      };
    });
    const pairRows = await db.query<{
      round: number;
      partition: number;
      status: string;
      out: string;
      need: string;
      pay: string;
    }>(
      `SELECT round, partition, status, out::text, need::text, pay::text FROM ${schema}.pair_steps ORDER BY round, partition`,
    );
    const pairSteps = pairRows.rows.map((r) => ({
      round: r.round,
      partition: r.partition,
      status: r.status,
      out: BigInt(r.out),
      need: BigInt(r.need),
      pay: BigInt(r.pay),
    }));
    return {
      pairSteps,
      pairPool: pairPoolOf(pairSteps),
      balance: BigInt(fund.rows[0]?.balance ?? '0'),
      funded: BigInt(fund.rows[0]?.funded ?? '0'),
      paid: new Map(covers.rows.map((r) => [r.partition, BigInt(r.paid)])),
      fundPaid,
      clearings,
    };
  } finally {
    await db.end().catch(() => {});
  }
}

function wellFormedRank(r: unknown, partition: number): r is AdlRank {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Record<string, unknown>;
  return (
    x.partition === partition &&
    typeof x.account === 'string' &&
    typeof x.sub === 'string' &&
    typeof x.score === 'string' &&
    /^[0-9]{1,80}$/.test(x.score) &&
    typeof x.size === 'string' &&
    /^[1-9][0-9]{0,39}$/.test(x.size)
  );
}
