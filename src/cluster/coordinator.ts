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
 * The coordinator's state is a small exact ledger of its own (not an Engine): three tables,
 * integers as NUMERIC, read back as strings and turned into bigint.
 * A request naming a partition outside 0…N−1 (an unknown scope) or malformed is refused with a
 * typed reason and changes nothing. Not done yet: cross-partition ADL (each partition's engine
 * runs ADL among its own accounts before anything reaches the ledger).
 */
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import pg from 'pg';
import { z } from 'zod';
import { formatDecimal } from '../core/num/fixed.ts';
import type { ClusterNames } from './names.ts';
import {
  type ClusterBus,
  connectBus,
  DEFAULT_NATS_URL,
  ensureTopology,
  publishCommand,
  REPLY_HEADER,
} from './nats.ts';
import { COVER_ACCOUNT } from './partition.ts';

const units = z.string().regex(/^[0-9]{1,40}$/, 'an integer count of settlement-asset units');

export const CoordinatorCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('shortfall'), partition: z.number().int(), total: units }),
  z.strictObject({
    type: z.literal('fund'),
    id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/),
    amount: units,
  }),
]);
export type CoordinatorCommand = z.output<typeof CoordinatorCommandSchema>;

export type CoordinatorOutcome =
  | { ok: true; kind: 'funded'; amount: string; replayed?: true }
  | { ok: true; kind: 'covered'; partition: number; total: string; paid: string; replayed?: true }
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
  /** Σ paid per partition. */
  readonly paid: Map<number, bigint>;
}

export class Coordinator {
  private running = true;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private fatal: Error | undefined;

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

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      if (!this.running) break;
      let outcome: CoordinatorOutcome;
      try {
        outcome = await this.handle(msg);
      } catch (err) {
        this.fatal = err instanceof Error ? err : new Error(String(err));
        this.running = false;
        messages.stop();
        void this.bus.nc.close().catch(() => {});
        void this.db.end().catch(() => {});
        this.opts.onFatal?.(this.fatal);
        return;
      }
      msg.ack();
      const reply = msg.headers?.get(REPLY_HEADER);
      if (reply) this.bus.nc.publish(reply, JSON.stringify(outcome));
    }
  }

  private async handle(msg: JsMsg): Promise<CoordinatorOutcome> {
    let body: unknown;
    try {
      body = JSON.parse(msg.string());
    } catch {
      body = undefined;
    }
    const parsed = CoordinatorCommandSchema.safeParse(body);
    if (!parsed.success) {
      return { ok: false, rejection: { code: 'MALFORMED_MESSAGE', message: z.prettifyError(parsed.error) } };
    }
    const c = parsed.data;
    if (c.type === 'fund') return this.fund(c.id, BigInt(c.amount));
    if (c.partition < 0 || c.partition >= this.opts.partitions) {
      return {
        ok: false,
        rejection: {
          code: 'UNKNOWN_SCOPE',
          message: `partition ${c.partition} is not one of the cluster's 0…${this.opts.partitions - 1}`,
        },
      };
    }
    const answer = await this.cover(c.partition, BigInt(c.total));
    if (!answer.ok || answer.kind !== 'covered') return answer;
    if (BigInt(answer.paid) > 0n) {
      // re-sent on a repeat too: the partition's engine recognises the command id
      const id = `cover:${c.partition}:${c.total}`;
      const { id: asset, decimals } = this.opts.settlement;
      await publishCommand(
        this.bus,
        this.opts.names.commandSubject(c.partition),
        {
          type: 'deposit',
          commandId: id,
          to: { account: COVER_ACCOUNT },
          asset,
          amount: formatDecimal(BigInt(answer.paid), decimals),
        },
        id,
      );
    }
    return answer;
  }

  private async fund(id: string, amount: bigint): Promise<CoordinatorOutcome> {
    return this.tx(async () => {
      const done = await this.db.query(
        `INSERT INTO ${this.schema}.funding (id, amount) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`,
        [id, String(amount)],
      );
      if (done.rowCount === 0) return { ok: true, kind: 'funded', amount: String(amount), replayed: true };
      await this.db.query(
        `UPDATE ${this.schema}.fund SET balance = balance + $1, funded = funded + $1 WHERE id = 1`,
        [String(amount)],
      );
      return { ok: true, kind: 'funded', amount: String(amount) };
    });
  }

  private async cover(partition: number, total: bigint): Promise<CoordinatorOutcome> {
    return this.tx(async () => {
      const fund = await this.db.query<{ balance: string }>(
        `SELECT balance::text FROM ${this.schema}.fund WHERE id = 1 FOR UPDATE`,
      );
      const prior = await this.db.query<{ paid: string }>(
        `SELECT paid::text FROM ${this.schema}.covers WHERE partition = $1 AND total = $2`,
        [partition, String(total)],
      );
      if (prior.rows[0]) {
        return {
          ok: true,
          kind: 'covered',
          partition,
          total: String(total),
          paid: prior.rows[0].paid,
          replayed: true,
        };
      }
      const high = await this.db.query<{ m: string | null }>(
        `SELECT MAX(total)::text AS m FROM ${this.schema}.covers WHERE partition = $1`,
        [partition],
      );
      const answered = BigInt(high.rows[0]?.m ?? '0');
      if (total <= answered) {
        return {
          ok: false,
          rejection: {
            code: 'STALE_SHORTFALL',
            message: `partition ${partition} already had ${answered} answered`,
          },
        };
      }
      const balance = BigInt(fund.rows[0]!.balance);
      const need = total - answered;
      const paid = need < balance ? need : balance;
      await this.db.query(`INSERT INTO ${this.schema}.covers (partition, total, paid) VALUES ($1, $2, $3)`, [
        partition,
        String(total),
        String(paid),
      ]);
      await this.db.query(`UPDATE ${this.schema}.fund SET balance = balance - $1 WHERE id = 1`, [
        String(paid),
      ]);
      return { ok: true, kind: 'covered', partition, total: String(total), paid: String(paid) };
    });
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
    if (exists.rows[0]?.t == null) return { balance: 0n, funded: 0n, paid: new Map() };
    const fund = await db.query<{ balance: string; funded: string }>(
      `SELECT balance::text, funded::text FROM ${schema}.fund WHERE id = 1`,
    );
    const covers = await db.query<{ partition: number; paid: string }>(
      `SELECT partition, SUM(paid)::text AS paid FROM ${schema}.covers GROUP BY partition`,
    );
    return {
      balance: BigInt(fund.rows[0]?.balance ?? '0'),
      funded: BigInt(fund.rows[0]?.funded ?? '0'),
      paid: new Map(covers.rows.map((r) => [r.partition, BigInt(r.paid)])),
    };
  } finally {
    await db.end().catch(() => {});
  }
}
