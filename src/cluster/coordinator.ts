/**
 * The coordinator: owns the cluster's insurance fund and pays partitions' shortfalls from it.
 *
 * Protocol (docs/cluster.md):
 * 1. A partition whose engine wrote off a bankrupt scope's deficit (its socialized-loss ledger
 *    fell) publishes `{type: 'shortfall', partition, total}` on the coordinator subject, `total`
 *    being its cumulative write-off in settlement-asset units (a running total, so a repeat or a
 *    late request is recognised: message id `shortfall:<partition>:<total>`).
 * 2. The coordinator pays `min(fund, total − highest total it already answered for that
 *    partition)` out of the fund and records the answer under (partition, total); a request it
 *    already answered changes nothing. It takes every request waiting in one PostgreSQL
 *    transaction per round (coverage-round.ts decides them as if one at a time, in order), so
 *    the work per round is bounded however many partitions ask.
 * 3. It then publishes the payment to the partition as a `deposit` into the partition's cover
 *    account (command id and message id `cover:<partition>:<total>`), and only then acks the
 *    request; after a crash the request comes again and the recorded payment is re-sent (the
 *    partition's engine recognises the command id).
 * 4. Money in = `fund` commands (an operator's contribution, idempotent by id). Conservation:
 *    fund balance + Σ paid = Σ funded, and each partition's cover account holds exactly what the
 *    coordinator paid it (checked by conservation.ts).
 *
 * 5. What the fund cannot pay goes to cross-partition ADL (adl.ts) when the request names the
 *    write-off's market and side: the coordinator asks every partition for its ranks, merges them
 *    (`planAdl`) and records the plan (one row per leg) before sending anything; each leg is an
 *    `adl:<partition>:<total>:<leg>` transfer of a counterparty's profit into its escrow
 *    subaccount, sent to the counterparty's partition, whose outcome (applied or refused) is
 *    recorded; when every leg has an outcome the collected sum is paid to the bankrupt partition
 *    as a second cover deposit (`cover:<partition>:<total>:adl`) and the rest stays written off
 *    (socialized loss, the last resort). A leg without an answer (its partition is down) leaves
 *    the request unacknowledged (nak with a delay): it comes again and the plan resumes from its
 *    record; a partition's engine answers a repeated leg with its first outcome.
 *
 * The coordinator's state is a small exact ledger of its own (not an Engine): four tables,
 * integers as NUMERIC, read back as strings and turned into bigint.
 * A request naming a partition outside 0…N−1 (an unknown scope) or malformed is refused with a
 * typed reason and changes nothing.
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import pg from 'pg';
import { z } from 'zod';
import { formatDecimal } from '../core/num/fixed.ts';
import { ADL_ESCROW_SUB, type AdlRank, planAdl } from './adl.ts';
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
import { COVER_ACCOUNT } from './partition.ts';

const units = z.string().regex(/^[0-9]{1,40}$/, 'an integer count of settlement-asset units');

export const CoordinatorCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('shortfall'),
    partition: z.number().int(),
    total: units,
    /** The write-off's market and the bankrupt side (the ADL counterparties are on the other). */
    market: z.string().min(1).max(64).optional(),
    side: z.enum(['long', 'short']).optional(),
  }),
  z.strictObject({
    type: z.literal('fund'),
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    amount: units,
  }),
]);
export type CoordinatorCommand = z.output<typeof CoordinatorCommandSchema>;

export type CoordinatorOutcome =
  | { ok: true; kind: 'funded'; amount: string; replayed?: true }
  | {
      ok: true;
      kind: 'covered';
      partition: number;
      total: string;
      /** Paid from the fund. */
      paid: string;
      /** Taken from other positions by cross-partition ADL and paid too. */
      adl?: string;
      /** Left written off in the partition (socialized loss). */
      socialized?: string;
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
}

export interface CoordinatorLedger {
  readonly balance: bigint;
  readonly funded: bigint;
  /** Σ paid per partition (from the fund and by ADL). */
  readonly paid: Map<number, bigint>;
  /** Σ paid from the fund (all partitions). */
  readonly fundPaid: bigint;
  /** Σ paid from ADL collections (all partitions); equals Σ collected. */
  readonly adlPaid: bigint;
  /** Per counterparty partition: Σ ADL legs applied (collected into escrow). */
  readonly collected: Map<number, bigint>;
  /** Per counterparty partition: Σ ADL legs sent and not answered yet. */
  readonly pending: Map<number, bigint>;
}

/** An ADL leg its partition did not answer in time: the request is retried later. */
class LegPendingError extends Error {
  override name = 'LegPendingError';
}

/** How long the coordinator waits for a partition's ranks, and for an ADL leg's outcome. */
const RANKS_WAIT_MS = 2000;
const LEG_WAIT_MS = 5000;
/** Delay before a request with an unanswered leg comes again. */
const RETRY_DELAY_MS = 1000;
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
function toRoundRequest(msg: JsMsg): RoundRequest {
  const c = parseCommand(msg) as CoordinatorCommand;
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

  private constructor(
    private readonly opts: CoordinatorOptions,
    private readonly bus: ClusterBus,
    private readonly db: pg.Client,
    private readonly schema: string,
  ) {}

  static async start(opts: CoordinatorOptions): Promise<Coordinator> {
    const schema = `"${opts.names.coordinatorSchema}"`;
    const db = new pg.Client({ connectionString: opts.pgUrl, connectionTimeoutMillis: 10_000 });
    db.on('error', () => {});
    await db.connect();
    await migrate(db, schema);
    const bus = await connectBus(opts.natsUrl ?? DEFAULT_NATS_URL, `plimsoll-${opts.names.name}-coord`);
    await ensureTopology(bus, opts.names, opts.partitions);
    const c = new Coordinator(opts, bus, db, schema);
    const consumer = await bus.js.consumers.get(opts.names.coordinatorStream, opts.names.coordinatorConsumer);
    c.messages = await consumer.consume({ max_messages: 256 });
    c.loop = c.run(c.messages);
    return c;
  }

  get failure(): Error | undefined {
    return this.fatal;
  }

  /** Rounds run since start (each one transaction, however many requests it took). */
  get rounds(): number {
    return this.roundCount;
  }

  /**
   * Rounds: every request waiting (up to MAX_ROUND) is decided in one PostgreSQL transaction
   * (coverage-round.ts), then the round's covers are published, each request's ADL runs, and
   * the requests are acked and answered. A fault before the acks leaves them all unacked: they
   * come again and are answered from the record.
   */
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
    for (const [at, m] of msgs.entries()) {
      if (outcomes[at] === undefined) asked.push({ at, request: toRoundRequest(m) });
    }
    if (asked.length > 0) {
      const decided = await this.tx(() => this.decide(asked.map((a) => a.request)));
      for (const [i, d] of decided.entries()) outcomes[asked[i]!.at] = outcomeOf(d);
    }
    const covered = outcomes.flatMap((o, at) => (o?.ok === true && o.kind === 'covered' ? [{ o, at }] : []));
    // re-sent on a repeat too: the partition's engine recognises the command id
    await Promise.all(
      covered.map(({ o }) => this.payCover(o.partition, `cover:${o.partition}:${o.total}`, BigInt(o.paid))),
    );
    const pending = new Set<number>();
    for (const { o, at } of covered) {
      try {
        const adl = await this.deleverage(o.partition, o.total);
        if (adl !== undefined)
          outcomes[at] = { ...o, adl: String(adl.collected), socialized: String(adl.socialized) };
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
    if (c.type === 'shortfall' && (c.partition < 0 || c.partition >= this.opts.partitions)) {
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
        `INSERT INTO ${t}.covers (partition, total, paid, need, market, side, adl_state)
         SELECT * FROM unnest($1::int[], $2::numeric[], $3::numeric[], $4::numeric[], $5::text[], $6::text[], $7::text[])`,
        [
          c.map((x) => x.partition),
          c.map((x) => String(x.total)),
          c.map((x) => String(x.paid)),
          c.map((x) => String(x.need)),
          c.map((x) => x.market),
          c.map((x) => x.side),
          c.map((x) => (x.paid < x.need ? 'pending' : 'none')),
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
   * Cross-partition ADL for what the fund did not pay of (partition, total): rank, plan (recorded
   * before any leg is sent), send each leg and record its outcome, pay what was collected. Resumes
   * from the record when the request comes again. Undefined when nothing was left to deleverage.
   */
  private async deleverage(
    partition: number,
    total: string,
  ): Promise<{ collected: bigint; socialized: bigint } | undefined> {
    const t = this.schema;
    const row = (
      await this.db.query<{
        need: string;
        paid: string;
        market: string | null;
        side: string | null;
        adl_state: string;
      }>(
        `SELECT need::text, paid::text, market, side, adl_state FROM ${t}.covers WHERE partition = $1 AND total = $2`,
        [partition, total],
      )
    ).rows[0];
    if (!row || row.adl_state === 'none') return undefined;
    const left = BigInt(row.need) - BigInt(row.paid);
    if (row.adl_state === 'pending') {
      const legs =
        row.market === null || (row.side !== 'long' && row.side !== 'short')
          ? []
          : planAdl(await this.gatherRanks(row.market, row.side), left);
      await this.tx(async () => {
        for (const l of legs) {
          await this.db.query(
            `INSERT INTO ${t}.adl_legs (partition, total, leg, src_partition, account, sub, amount, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'planned')`,
            [partition, total, l.leg, l.partition, l.account, l.sub, String(l.amount)],
          );
        }
        await this.db.query(
          `UPDATE ${t}.covers SET adl_state = 'planned' WHERE partition = $1 AND total = $2`,
          [partition, total],
        );
      });
    }
    if (row.adl_state !== 'done') {
      const legs = await this.db.query<{
        leg: number;
        src_partition: number;
        account: string;
        sub: string;
        amount: string;
      }>(
        `SELECT leg, src_partition, account, sub, amount::text FROM ${t}.adl_legs
         WHERE partition = $1 AND total = $2 AND status = 'planned' ORDER BY leg`,
        [partition, total],
      );
      for (const l of legs.rows) {
        const applied = await this.sendLeg(`adl:${partition}:${total}:${l.leg}`, l);
        await this.db.query(
          `UPDATE ${t}.adl_legs SET status = $4 WHERE partition = $1 AND total = $2 AND leg = $3`,
          [partition, total, l.leg, applied ? 'collected' : 'refused'],
        );
      }
      await this.tx(async () => {
        const sum = await this.db.query<{ s: string | null }>(
          `SELECT SUM(amount)::text AS s FROM ${t}.adl_legs WHERE partition = $1 AND total = $2 AND status = 'collected'`,
          [partition, total],
        );
        const collected = BigInt(sum.rows[0]?.s ?? '0');
        await this.db.query(
          `UPDATE ${t}.covers SET adl_state = 'done', adl_paid = $3, socialized = $4 WHERE partition = $1 AND total = $2`,
          [partition, total, String(collected), String(left - collected)],
        );
      });
    }
    const done = (
      await this.db.query<{ adl_paid: string; socialized: string }>(
        `SELECT adl_paid::text, socialized::text FROM ${t}.covers WHERE partition = $1 AND total = $2`,
        [partition, total],
      )
    ).rows[0]!;
    const collected = BigInt(done.adl_paid);
    await this.payCover(partition, `cover:${partition}:${total}:adl`, collected);
    return { collected, socialized: BigInt(done.socialized) };
  }

  /** Every partition's ranks for a bankrupt `side` position in `market`; a silent partition offers none. */
  private async gatherRanks(market: string, side: 'long' | 'short'): Promise<AdlRank[]> {
    const answers = await Promise.all(
      Array.from({ length: this.opts.partitions }, async (_, q) => {
        try {
          const msg = await this.bus.nc.request(
            this.opts.names.querySubject(q),
            JSON.stringify({ ranks: { market, side } }),
            { timeout: RANKS_WAIT_MS },
          );
          const ranks = (msg.json<{ ranks?: unknown }>().ranks ?? []) as AdlRank[];
          return Array.isArray(ranks) ? ranks.filter((r) => wellFormedRank(r, q)) : [];
        } catch {
          return [];
        }
      }),
    );
    return answers.flat();
  }

  /** Sends one ADL leg to its partition; true when applied, false when refused. */
  private async sendLeg(
    id: string,
    l: { src_partition: number; account: string; sub: string; amount: string },
  ): Promise<boolean> {
    const { id: asset, decimals } = this.opts.settlement;
    const body = {
      type: 'transfer',
      commandId: id,
      from: { account: l.account, sub: l.sub },
      to: { account: l.account, sub: ADL_ESCROW_SUB },
      asset,
      amount: formatDecimal(BigInt(l.amount), decimals),
    };
    const subject = this.opts.names.commandSubject(l.src_partition);
    let r = await publishAndAwait(this.bus, subject, body, id, LEG_WAIT_MS);
    // a repeated message id is dropped by JetStream: ask again under a fresh one, the engine
    // answers a known command id with its first outcome
    if (r.duplicate === true) {
      r = await publishAndAwait(this.bus, subject, body, `${id}:again:${Date.now()}`, LEG_WAIT_MS);
    }
    const answer = r.answer as { ok?: unknown } | undefined;
    if (answer === undefined) {
      throw new LegPendingError(`ADL leg ${id}: partition ${l.src_partition} did not answer`);
    }
    return answer.ok === true;
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
        ADD COLUMN IF NOT EXISTS market TEXT,
        ADD COLUMN IF NOT EXISTS side TEXT,
        ADD COLUMN IF NOT EXISTS adl_state TEXT NOT NULL DEFAULT 'none',
        ADD COLUMN IF NOT EXISTS adl_paid NUMERIC(60, 0) NOT NULL DEFAULT 0,
        ADD COLUMN IF NOT EXISTS socialized NUMERIC(60, 0) NOT NULL DEFAULT 0;
      CREATE TABLE IF NOT EXISTS ${schema}.adl_legs (
        partition INTEGER NOT NULL,
        total NUMERIC(60, 0) NOT NULL,
        leg INTEGER NOT NULL,
        src_partition INTEGER NOT NULL,
        account TEXT NOT NULL,
        sub TEXT NOT NULL,
        amount NUMERIC(60, 0) NOT NULL CHECK (amount > 0),
        status TEXT NOT NULL CHECK (status IN ('planned', 'collected', 'refused')),
        PRIMARY KEY (partition, total, leg)
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
        adlPaid: 0n,
        collected: new Map(),
        pending: new Map(),
      };
    }
    const fund = await db.query<{ balance: string; funded: string }>(
      `SELECT balance::text, funded::text FROM ${schema}.fund WHERE id = 1`,
    );
    const covers = await db.query<{ partition: number; paid: string; adl: string }>(
      `SELECT partition, SUM(paid)::text AS paid, SUM(adl_paid)::text AS adl FROM ${schema}.covers GROUP BY partition`,
    );
    const legs = await db.query<{ src: number; status: string; amount: string }>(
      `SELECT src_partition AS src, status, SUM(amount)::text AS amount FROM ${schema}.adl_legs
       WHERE status <> 'refused' GROUP BY src_partition, status`,
    );
    const collected = new Map<number, bigint>();
    const pending = new Map<number, bigint>();
    for (const r of legs.rows) (r.status === 'collected' ? collected : pending).set(r.src, BigInt(r.amount));
    let fundPaid = 0n;
    let adlPaid = 0n;
    for (const r of covers.rows) {
      fundPaid += BigInt(r.paid);
      adlPaid += BigInt(r.adl);
    }
    return {
      balance: BigInt(fund.rows[0]?.balance ?? '0'),
      funded: BigInt(fund.rows[0]?.funded ?? '0'),
      paid: new Map(covers.rows.map((r) => [r.partition, BigInt(r.paid) + BigInt(r.adl)])),
      fundPaid,
      adlPaid,
      collected,
      pending,
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
    typeof x.available === 'string' &&
    /^[0-9]{1,40}$/.test(x.available)
  );
}
