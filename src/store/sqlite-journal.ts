/**
 * SQLite journal (better-sqlite3): the default embedded event store.
 *
 * Layout (schema version 1, STRICT tables):
 * - `events(seq INTEGER PRIMARY KEY, type TEXT, json TEXT)`: seq is the rowid, so append,
 *   MAX(seq) and range reads `seq > ?` are B-tree operations, never scans.
 * - `snapshots(seq INTEGER PRIMARY KEY, json TEXT)`: latest = highest seq.
 * - `schema_version(id = 1, version)`: one row; opening a newer schema throws.
 *
 * Durability: WAL mode. `synchronous = NORMAL` (default) never corrupts the database but
 * may lose the last transactions on power loss (not on a process crash); `{ durable: true }`
 * selects FULL, which fsyncs every commit.
 *
 * Integers come back as bigint (`defaultSafeIntegers(true)`) and are converted to number
 * only after checking they are safe, so a seq can never silently lose precision.
 *
 * Caveat of a single connection: while a `read()` iterator is open (not exhausted and not
 * returned/broken out of), the connection is busy and other calls on this journal throw.
 * Finish or `break` the loop before appending (recovery reads everything, then appends).
 */
import Database from 'better-sqlite3';
import {
  type Journal,
  JournalClosedError,
  JournalSchemaError,
  normalizeAfterSeq,
  type StoredEvent,
  type StoredSnapshot,
  validateBatch,
  validateSnapshot,
} from './journal.ts';

/** Schema version written by this code; bump it with a migration step in `migrate`. */
export const SQLITE_JOURNAL_SCHEMA_VERSION = 1;

export interface SqliteJournalOptions {
  /** true: `synchronous = FULL` (fsync per commit); default false: `NORMAL`. */
  readonly durable?: boolean;
  /** Milliseconds to wait for a lock held by another connection; default 5000. */
  readonly busyTimeoutMs?: number;
}

/** Effective settings of an open journal, for diagnostics and tests. */
export interface SqliteJournalInfo {
  readonly path: string;
  /** 'wal' for files; SQLite reports 'memory' for ':memory:'. */
  readonly journalMode: string;
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly schemaVersion: number;
}

type EventRow = [seq: bigint, type: string, json: string];
type SnapshotRow = [seq: bigint, json: string];

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export class SqliteJournal implements Journal {
  private readonly stmtLastSeq: Database.Statement<[], bigint | null>;
  private readonly stmtInsert: Database.Statement<[bigint, string, string]>;
  private readonly stmtRead: Database.Statement<[bigint], EventRow>;
  private readonly stmtSaveSnapshot: Database.Statement<[bigint, string]>;
  private readonly stmtLatestSnapshot: Database.Statement<[], SnapshotRow>;
  private readonly appendTx: (events: readonly StoredEvent[]) => void;
  private readonly snapshotTx: (snapshot: StoredSnapshot) => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    this.stmtLastSeq = db.prepare<[], bigint | null>('SELECT MAX(seq) FROM events').pluck();
    this.stmtInsert = db.prepare<[bigint, string, string]>(
      'INSERT INTO events (seq, type, json) VALUES (?, ?, ?)',
    );
    this.stmtRead = db
      .prepare<[bigint], EventRow>('SELECT seq, type, json FROM events WHERE seq > ? ORDER BY seq')
      .raw();
    this.stmtSaveSnapshot = db.prepare<[bigint, string]>(
      'INSERT INTO snapshots (seq, json) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET json = excluded.json',
    );
    this.stmtLatestSnapshot = db
      .prepare<[], SnapshotRow>('SELECT seq, json FROM snapshots ORDER BY seq DESC LIMIT 1')
      .raw();

    // IMMEDIATE takes the write lock before reading MAX(seq), so the check and the inserts
    // see the same journal even if another connection writes to the same file.
    const append = db.transaction((events: readonly StoredEvent[]) => {
      validateBatch(this.queryLastSeq(), events);
      for (const e of events) this.stmtInsert.run(BigInt(e.seq), e.type, e.json);
    });
    this.appendTx = (events) => append.immediate(events);
    const snapshot = db.transaction((s: StoredSnapshot) => {
      validateSnapshot(this.queryLastSeq(), s);
      this.stmtSaveSnapshot.run(BigInt(s.seq), s.json);
    });
    this.snapshotTx = (s) => snapshot.immediate(s);
  }

  /**
   * Opens (creating if needed) a journal at `path`, or a private in-memory one.
   *
   * @example
   * const journal = SqliteJournal.open('plimsoll.sqlite', { durable: true });
   * journal.append([{ seq: journal.lastSeq() + 1, type: 'Deposited', json: '{"usd6":"100"}' }]);
   * for (const e of journal.read()) console.log(e.seq, e.type);
   * journal.close();
   */
  static open(path: string | ':memory:', options: SqliteJournalOptions = {}): SqliteJournal {
    const db = new Database(path);
    try {
      db.defaultSafeIntegers(true);
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durable === true ? 'FULL' : 'NORMAL'}`);
      migrate(db);
      return new SqliteJournal(db, path);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  append(events: readonly StoredEvent[]): void {
    this.ensureOpen();
    if (Array.isArray(events) && events.length === 0) return;
    this.appendTx(events);
  }

  read(afterSeq?: number): IterableIterator<StoredEvent> {
    this.ensureOpen();
    return this.iterate(normalizeAfterSeq(afterSeq));
  }

  lastSeq(): number {
    this.ensureOpen();
    return this.queryLastSeq();
  }

  saveSnapshot(snapshot: StoredSnapshot): void {
    this.ensureOpen();
    this.snapshotTx(snapshot);
  }

  latestSnapshot(): StoredSnapshot | undefined {
    this.ensureOpen();
    const row = this.stmtLatestSnapshot.get();
    return row === undefined ? undefined : { seq: toSeq(row[0]), json: row[1] };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Effective pragmas and schema version. */
  info(): SqliteJournalInfo {
    this.ensureOpen();
    const journalMode = String(this.db.pragma('journal_mode', { simple: true }));
    const sync = Number(this.db.pragma('synchronous', { simple: true }) as bigint | number);
    return {
      path: this.path,
      journalMode,
      synchronous: SYNCHRONOUS_NAMES[sync] ?? 'NORMAL',
      schemaVersion: readSchemaVersion(this.db) ?? 0,
    };
  }

  private *iterate(afterSeq: number): Generator<StoredEvent, void, undefined> {
    this.ensureOpen();
    // for-of closes the statement iterator when the consumer breaks or stops early.
    for (const [seq, type, json] of this.stmtRead.iterate(BigInt(afterSeq))) {
      yield { seq: toSeq(seq), type, json };
    }
  }

  private queryLastSeq(): number {
    const max = this.stmtLastSeq.get();
    return max === null || max === undefined ? 0 : toSeq(max);
  }

  private ensureOpen(): void {
    if (!this.db.open) throw new JournalClosedError();
  }
}

/** A stored integer as a JS number, refusing values beyond Number.MAX_SAFE_INTEGER. */
function toSeq(value: bigint | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || BigInt(n) !== BigInt(value)) {
    throw new JournalSchemaError(`stored seq ${String(value)} is not a safe integer`);
  }
  return n;
}

function readSchemaVersion(db: Database.Database): number | undefined {
  const exists = db
    .prepare<[], bigint>(
      "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
    )
    .pluck()
    .get();
  if (exists === undefined || exists === 0n) return undefined;
  const v = db.prepare<[], bigint>('SELECT version FROM schema_version WHERE id = 1').pluck().get();
  return v === undefined ? undefined : Number(v);
}

/** Creates the schema in an empty database, or checks the stored version is one we read. */
function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = readSchemaVersion(db);
    if (version === undefined) {
      const tables = db
        .prepare<[], string>(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .pluck()
        .all();
      if (tables.length > 0) {
        throw new JournalSchemaError(
          `not a Plimsoll journal: database has tables (${tables.join(', ')}) but no schema_version`,
        );
      }
      db.exec(`
        CREATE TABLE schema_version (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          version INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY CHECK (seq >= 1),
          type TEXT NOT NULL,
          json TEXT NOT NULL
        ) STRICT;
        CREATE TABLE snapshots (
          seq INTEGER PRIMARY KEY CHECK (seq >= 0),
          json TEXT NOT NULL
        ) STRICT;
      `);
      db.prepare('INSERT INTO schema_version (id, version) VALUES (1, ?)').run(
        BigInt(SQLITE_JOURNAL_SCHEMA_VERSION),
      );
      return;
    }
    if (version > SQLITE_JOURNAL_SCHEMA_VERSION) {
      throw new JournalSchemaError(
        `journal schema version ${version} is newer than supported version ${SQLITE_JOURNAL_SCHEMA_VERSION}`,
      );
    }
    if (version < 1) throw new JournalSchemaError(`invalid journal schema version ${version}`);
    // Future: `if (version < 2) { ...; UPDATE schema_version SET version = 2 }`.
  }).immediate();
}
