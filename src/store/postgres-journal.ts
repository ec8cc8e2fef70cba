/**
 * PostgreSQL journal (pg): the event store for a service that wants its journal in a database
 * server, with group commit (a DeferredJournal: appends buffer, `flush()` is one transaction).
 *
 * Layout, in one schema per journal (option `schema`, default `plimsoll`, so several engines
 * and test runs can share one database):
 * - `events(seq BIGINT PRIMARY KEY, type TEXT, json TEXT)`: the opaque records;
 * - `snapshots(seq BIGINT PRIMARY KEY, json TEXT)`: latest = highest seq;
 * - `schema_version(id = 1, version)`: one row; opening a newer schema throws.
 *
 * One writer per journal: the writer's own connection holds a session advisory lock keyed by
 * the schema (`pg_try_advisory_lock`) for as long as the journal is open; a second writer is
 * refused with JournalLockedError before it changes anything. PostgreSQL releases the lock when
 * the session ends — close(), a killed process, a dropped connection — so no stale lock
 * remains (and a writer whose connection dropped fails its next flush: it no longer holds the lock).
 * `{ readOnly: true }` opens without the lock, for reports and replay: it reads the journal as
 * it was at open (readRange also sees later commits).
 *
 * The engine's port is synchronous, so the journal keeps in memory what the engine may read:
 * loaded at open (the latest snapshot and every event after it, plus up to `retainEvents`
 * before it, so a repeated command id can still be answered from its events), then each
 * flushed group; events older than both the latest snapshot and the last `retainEvents` are
 * dropped from memory. `read` below that floor throws JournalRangeError; `readRange` (async)
 * reads any durable range from the database.
 *
 * Integers come back as bigint (INT8) or strings (NUMERIC) through per-connection type
 * parsers — never as JS floats — and a seq is turned into a number only after checking it is
 * a safe integer.
 */
import pg from 'pg';
import { BufferedJournal, checkRange } from './buffered-journal.ts';
import {
  JournalLockedError,
  JournalRecordError,
  JournalSchemaError,
  type StoredEvent,
  type StoredSnapshot,
} from './journal.ts';

/** Schema version written by this code. */
export const POSTGRES_JOURNAL_SCHEMA_VERSION = 1;
/** First key of the writer lock (ASCII 'PLMS'); the second is the schema name's hash. */
const LOCK_CLASS = 0x504c4d53;
const DEFAULT_RETAIN_EVENTS = 200_000;
/** Rows per query when loading and per readRange call at most. */
const LOAD_BATCH = 50_000;
export const MAX_READ_RANGE = 10_000;

export interface PostgresJournalOptions {
  /** Schema holding the journal's tables (created if missing); default 'plimsoll'. */
  readonly schema?: string;
  /** true: no writer lock, no schema creation; append and saveSnapshot throw. */
  readonly readOnly?: boolean;
  /** Events kept in memory beyond the latest snapshot (to answer repeated command ids); default 200,000. */
  readonly retainEvents?: number;
  /** Connections for readRange; default 4. */
  readonly readerPoolSize?: number;
  /** Milliseconds to wait for a connection; default 10,000. */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds to keep trying for the writer lock before JournalLockedError; default 1,000
   * (a writer reopening right after its connection dropped may find the old session not yet gone).
   */
  readonly lockWaitMs?: number;
  /** Milliseconds a write may take before the flush fails (the pipeline then reopens); default 30,000. */
  readonly writeTimeoutMs?: number;
}

/** A synchronous read of events no longer kept in memory (use readRange). */
export class JournalRangeError extends Error {
  override name = 'JournalRangeError';
}

/** INT8 as bigint and NUMERIC as string: never a float. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === pg.types.builtins.INT8) return (v: string) => BigInt(v);
    if (oid === pg.types.builtins.NUMERIC) return (v: string) => v;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

export class PostgresJournal extends BufferedJournal {
  /** Durable events in memory: memory[i].seq === floor + 1 + i. */
  private memory: StoredEvent[];
  private floor: number;
  private snapshot: StoredSnapshot | undefined;
  private broken: Error | undefined;
  private readonly retain: number;

  private constructor(
    private readonly writer: pg.Client | undefined,
    private readonly readers: pg.Pool,
    private readonly tables: { events: string; snapshots: string },
    loaded: { floor: number; events: StoredEvent[]; snapshot: StoredSnapshot | undefined },
    label: string,
    options: PostgresJournalOptions,
  ) {
    super(loaded.floor + loaded.events.length, label, options.readOnly === true);
    this.memory = loaded.events;
    this.floor = loaded.floor;
    this.snapshot = loaded.snapshot;
    this.retain = Math.max(0, Math.trunc(options.retainEvents ?? DEFAULT_RETAIN_EVENTS));
    writer?.on('error', (err) => {
      this.broken = err;
    });
  }

  /**
   * Connects, takes the writer lock (unless read-only), creates the schema if missing and
   * loads what the engine will fold.
   *
   * @example
   * const journal = await PostgresJournal.open('postgres://postgres@127.0.0.1:5432/venue', { schema: 'desk1' });
   * const engine = Engine.open(journal);
   */
  static async open(url: string, options: PostgresJournalOptions = {}): Promise<PostgresJournal> {
    const schema = options.schema ?? 'plimsoll';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new JournalRecordError(
        `invalid schema name ${JSON.stringify(schema)}: letters, digits, _ (at most 63)`,
      );
    }
    const label = `${redact(url)} schema ${schema}`;
    const q = `"${schema}"`;
    const tables = { events: `${q}.events`, snapshots: `${q}.snapshots` };
    const connectionTimeoutMillis = options.connectTimeoutMs ?? 10_000;
    const client = new pg.Client({
      connectionString: url,
      types: TYPES,
      connectionTimeoutMillis,
      query_timeout: options.writeTimeoutMs ?? 30_000,
    });
    const readers = new pg.Pool({
      connectionString: url,
      types: TYPES,
      max: Math.max(1, options.readerPoolSize ?? 4),
      connectionTimeoutMillis,
    });
    readers.on('error', () => {}); // an idle reader that drops is replaced on next use
    const swallow = () => {};
    client.on('error', swallow);
    try {
      await client.connect();
      if (options.readOnly !== true) {
        const deadline = Date.now() + Math.max(0, options.lockWaitMs ?? 1000);
        for (;;) {
          const got = await client.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
            [LOCK_CLASS, schema],
          );
          if (got.rows[0]?.locked === true) break;
          if (Date.now() >= deadline) throw new JournalLockedError(label);
          await new Promise((r) => setTimeout(r, 100));
        }
        await migrate(client, q);
      } else {
        await checkSchema(client, q, label);
      }
      const loaded = await load(client, tables, options.retainEvents ?? DEFAULT_RETAIN_EVENTS);
      if (options.readOnly === true) {
        await client.end();
        client.off('error', swallow);
        return new PostgresJournal(undefined, readers, tables, loaded, label, options);
      }
      client.off('error', swallow);
      return new PostgresJournal(client, readers, tables, loaded, label, options);
    } catch (err) {
      await client.end().catch(() => {});
      await readers.end().catch(() => {});
      throw err;
    }
  }

  override append(events: readonly StoredEvent[]): void {
    // PostgreSQL TEXT cannot hold NUL: refuse it here, with the other record errors
    if (Array.isArray(events)) {
      for (const e of events) {
        if (
          typeof e?.type === 'string' &&
          typeof e.json === 'string' &&
          (e.type.includes('\0') || e.json.includes('\0'))
        ) {
          throw new JournalRecordError(
            `event seq ${String(e.seq)}: PostgreSQL text cannot contain NUL characters`,
          );
        }
      }
    }
    super.append(events);
  }

  override saveSnapshot(snapshot: StoredSnapshot): void {
    if (typeof snapshot?.json === 'string' && snapshot.json.includes('\0')) {
      throw new JournalRecordError('snapshot: PostgreSQL text cannot contain NUL characters');
    }
    super.saveSnapshot(snapshot);
  }

  async readRange(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    this.ensureOpen();
    checkRange(afterSeq, limit);
    // a reader sees what the writer committed since; a writer only what it knows is committed
    const durable = this.readOnly ? Number.MAX_SAFE_INTEGER : this.durableSeq();
    const res = await this.readers.query<{ seq: bigint; type: string; json: string }>(
      `SELECT seq, type, json FROM ${this.tables.events} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`,
      [String(Math.max(0, afterSeq)), String(durable), Math.min(limit, MAX_READ_RANGE)],
    );
    return res.rows.map((r) => ({ seq: toSeq(r.seq), type: r.type, json: r.json }));
  }

  protected durableEvents(afterSeq: number): Iterator<StoredEvent> {
    if (afterSeq < this.floor) {
      throw new JournalRangeError(
        `events after seq ${afterSeq} are no longer in memory (kept from seq ${this.floor + 1}); use readRange`,
      );
    }
    return this.memory.slice(afterSeq - this.floor)[Symbol.iterator]();
  }

  protected durableSnapshot(): StoredSnapshot | undefined {
    return this.snapshot;
  }

  protected async writeGroup(
    events: readonly StoredEvent[],
    snapshots: readonly StoredSnapshot[],
  ): Promise<void> {
    const client = this.writer;
    if (!client) throw new Error('read-only journal'); // unreachable: append refuses first
    if (this.broken) throw new Error(`the writer's connection failed: ${this.broken.message}`);
    // one row per seq: a snapshot saved twice at one seq in a group keeps the last
    const bySeq = new Map<number, string>();
    for (const s of snapshots) bySeq.set(s.seq, s.json);
    try {
      await client.query('BEGIN');
      if (events.length > 0) {
        await client.query(
          `INSERT INTO ${this.tables.events} (seq, type, json) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[])`,
          [events.map((e) => String(e.seq)), events.map((e) => e.type), events.map((e) => e.json)],
        );
      }
      if (bySeq.size > 0) {
        await client.query(
          `INSERT INTO ${this.tables.snapshots} (seq, json) SELECT * FROM unnest($1::bigint[], $2::text[])
           ON CONFLICT (seq) DO UPDATE SET json = excluded.json`,
          [[...bySeq.keys()].map(String), [...bySeq.values()]],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  protected override afterDurable(
    events: readonly StoredEvent[],
    snapshots: readonly StoredSnapshot[],
  ): void {
    for (const e of events) this.memory.push(Object.freeze(e)); // handed out by read()
    for (const s of snapshots) if (!this.snapshot || s.seq >= this.snapshot.seq) this.snapshot = s;
    // drop what neither the fold (after the snapshot) nor recent command ids need; in chunks
    if (!this.snapshot) return;
    const keepFrom = Math.min(this.snapshot.seq, this.durableSeq() - this.retain);
    const drop = keepFrom - this.floor;
    if (drop > 0 && drop >= Math.max(1000, this.retain / 10)) {
      this.memory = this.memory.slice(drop);
      this.floor = keepFrom;
    }
  }

  protected async release(): Promise<void> {
    // ending the writer's session releases its advisory lock
    await Promise.all([this.writer?.end().catch(() => {}), this.readers.end().catch(() => {})]);
  }
}

async function migrate(client: pg.Client, q: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS ${q}.schema_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${q}.events (
        seq BIGINT PRIMARY KEY CHECK (seq >= 1),
        type TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${q}.snapshots (
        seq BIGINT PRIMARY KEY CHECK (seq >= 0),
        json TEXT NOT NULL
      );
    `);
    await client.query(
      `INSERT INTO ${q}.schema_version (id, version) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`,
      [POSTGRES_JOURNAL_SCHEMA_VERSION],
    );
    const v = await client.query<{ version: number }>(`SELECT version FROM ${q}.schema_version WHERE id = 1`);
    checkVersion(v.rows[0]?.version);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

async function checkSchema(client: pg.Client, q: string, label: string): Promise<void> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [
    `${q}.schema_version`,
  ]);
  if (exists.rows[0]?.t == null) throw new JournalSchemaError(`no Plimsoll journal at ${label}`);
  const v = await client.query<{ version: number }>(`SELECT version FROM ${q}.schema_version WHERE id = 1`);
  checkVersion(v.rows[0]?.version);
}

function checkVersion(version: number | undefined): void {
  if (version === undefined || version < 1)
    throw new JournalSchemaError(`invalid journal schema version ${version}`);
  if (version > POSTGRES_JOURNAL_SCHEMA_VERSION) {
    throw new JournalSchemaError(
      `journal schema version ${version} is newer than supported version ${POSTGRES_JOURNAL_SCHEMA_VERSION}`,
    );
  }
}

/** The latest snapshot and the events the engine may read (see the header). */
async function load(
  client: pg.Client,
  tables: { events: string; snapshots: string },
  retainEvents: number,
): Promise<{ floor: number; events: StoredEvent[]; snapshot: StoredSnapshot | undefined }> {
  const last = await client.query<{ m: bigint | null }>(`SELECT MAX(seq) AS m FROM ${tables.events}`);
  const lastSeq = last.rows[0]?.m == null ? 0 : toSeq(last.rows[0].m);
  const snap = await client.query<{ seq: bigint; json: string }>(
    `SELECT seq, json FROM ${tables.snapshots} ORDER BY seq DESC LIMIT 1`,
  );
  const row = snap.rows[0];
  const snapshot = row ? { seq: toSeq(row.seq), json: row.json } : undefined;
  const floor = snapshot ? Math.max(0, Math.min(snapshot.seq, lastSeq - Math.max(0, retainEvents))) : 0;
  const events: StoredEvent[] = [];
  let after = floor;
  for (;;) {
    const res = await client.query<{ seq: bigint; type: string; json: string }>(
      `SELECT seq, type, json FROM ${tables.events} WHERE seq > $1 ORDER BY seq LIMIT ${LOAD_BATCH}`,
      [String(after)],
    );
    for (const r of res.rows) {
      const seq = toSeq(r.seq);
      if (seq !== after + 1) throw new JournalSchemaError(`journal gap: seq ${seq} follows ${after}`);
      events.push(Object.freeze({ seq, type: r.type, json: r.json }));
      after = seq;
    }
    if (res.rows.length < LOAD_BATCH) break;
  }
  return { floor, events, snapshot };
}

/** A stored integer as a JS number, refusing values beyond Number.MAX_SAFE_INTEGER. */
function toSeq(value: bigint | string | number): number {
  const big = BigInt(value);
  const n = Number(big);
  if (!Number.isSafeInteger(n) || BigInt(n) !== big) {
    throw new JournalSchemaError(`stored seq ${String(value)} is not a safe integer`);
  }
  return n;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}
