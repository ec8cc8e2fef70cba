/**
 * SQLite journal (better-sqlite3): the default embedded event store.
 *
 * Layout (schema version 2, STRICT tables):
 * - `batches(first_seq INTEGER PRIMARY KEY, last_seq INTEGER, data BLOB)`: ONE row per append
 *   (a command, or a whole commit group), its events encoded by batch-codec.ts. One row per
 *   group instead of one per event is what lets group commit keep up with the engine: the
 *   B-tree work of a commit no longer grows with its events. first_seq is the rowid, so
 *   append, the last seq and range reads are B-tree operations, never scans.
 * - `events(seq INTEGER PRIMARY KEY, type TEXT, json TEXT)`: the version-1 layout, one row per
 *   event. Journals written by earlier versions keep their rows there and are read as before;
 *   opening such a journal for writing adds the `batches` table (version 2) and every later
 *   append goes there. Reads merge both tables in seq order.
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
 * One writer: a journal opened for writing holds an exclusive lock on a companion file
 * `<path>.writer-lock` (a SQLite database held in an open EXCLUSIVE transaction) for as long as
 * it is open. SQLite's file locks are per connection within a process and are released by the
 * operating system when a process dies, so a second writer — in this process or another — fails
 * at once with JournalLockedError before it touches the journal, and a crashed writer leaves no
 * stale lock. The journal itself stays in WAL mode, so `{ readOnly: true }` openers (reports,
 * replay) read it while the writer works; they take no lock and cannot append.
 * (`PRAGMA locking_mode = EXCLUSIVE` on the journal itself would be simpler, but in WAL mode it
 * shuts readers out: a read-only connection gets SQLITE_BUSY.)
 *
 * Caveat of a single connection: while a `read()` iterator is open (not exhausted and not
 * returned/broken out of), the connection is busy and other calls on this journal throw.
 * Finish or `break` the loop before appending (recovery reads everything, then appends).
 */
import Database from 'better-sqlite3';
import { compressBatch, decodeBatch, encodeBatch } from './batch-codec.ts';
import {
  type Journal,
  JournalClosedError,
  JournalLockedError,
  JournalReadOnlyError,
  JournalSchemaError,
  JournalSequenceError,
  normalizeAfterSeq,
  type StoredEvent,
  type StoredSnapshot,
  validateBatch,
  validateSnapshot,
} from './journal.ts';

/** Schema version written by this code; bump it with a migration step in `migrate`. */
export const SQLITE_JOURNAL_SCHEMA_VERSION = 2;

export interface SqliteJournalOptions {
  /** true: `synchronous = FULL` (fsync per commit); default false: `NORMAL`. */
  readonly durable?: boolean;
  /** Milliseconds to wait for a lock held by another connection; default 5000. */
  readonly busyTimeoutMs?: number;
  /** true: open an existing journal for reading only (no writer lock; append/saveSnapshot throw). */
  readonly readOnly?: boolean;
}

/** Effective settings of an open journal, for diagnostics and tests. */
export interface SqliteJournalInfo {
  readonly path: string;
  /** 'wal' for files; SQLite reports 'memory' for ':memory:'. */
  readonly journalMode: string;
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
  readonly schemaVersion: number;
}

/** A row of the merged read: a version-1 event (type, json) or a batch (data). */
type ReadRow = [seq: bigint, type: string | null, json: string | null, data: Buffer | null];
type SnapshotRow = [seq: bigint, json: string];

const SYNCHRONOUS_NAMES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

export class SqliteJournal implements Journal {
  private readonly stmtLastSeq: Database.Statement<[], bigint | null>;
  private readonly stmtInsert: Database.Statement<[bigint, bigint, Buffer]> | undefined;
  private readonly stmtRead: Database.Statement<[bigint, bigint], ReadRow>;
  private readonly stmtSaveSnapshot: Database.Statement<[bigint, string]>;
  private readonly stmtLatestSnapshot: Database.Statement<[], SnapshotRow>;
  private readonly appendTx: (events: readonly StoredEvent[]) => void;
  private readonly snapshotTx: (snapshot: StoredSnapshot) => void;
  private readonly groupTx: (events: readonly StoredEvent[], snapshots: readonly StoredSnapshot[]) => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    /** The held writer lock (undefined for read-only and in-memory journals). */
    private readonly writerLock: Database.Database | undefined,
  ) {
    // A read-only opener of a version-1 journal has no batches table (it may not create one).
    const batched = hasTable(db, 'batches');
    this.stmtLastSeq = db
      .prepare<[], bigint | null>(
        batched
          ? `SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM events
               UNION ALL SELECT last_seq FROM (SELECT last_seq FROM batches ORDER BY first_seq DESC LIMIT 1))`
          : 'SELECT MAX(seq) FROM events',
      )
      .pluck();
    this.stmtInsert = batched
      ? db.prepare<[bigint, bigint, Buffer]>(
          'INSERT INTO batches (first_seq, last_seq, data) VALUES (?, ?, ?)',
        )
      : undefined;
    // Both layouts in seq order, as one statement (a connection runs one query at a time): the
    // batch holding afterSeq + 1 (the greatest first_seq <= it) and every later one.
    this.stmtRead = db
      .prepare<[bigint, bigint], ReadRow>(
        batched
          ? `SELECT seq, type, json, NULL FROM events WHERE seq > ?
             UNION ALL
             SELECT first_seq, NULL, NULL, data FROM batches
               WHERE first_seq >= (SELECT COALESCE(MAX(first_seq), 0) FROM batches WHERE first_seq <= ?)
             ORDER BY 1`
          : 'SELECT seq, type, json, NULL FROM events WHERE seq > ? AND ? IS NOT NULL ORDER BY seq',
      )
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
      this.insertBatch(events);
    });
    this.appendTx = (events) => append.immediate(events);
    const snapshot = db.transaction((s: StoredSnapshot) => {
      validateSnapshot(this.queryLastSeq(), s);
      this.stmtSaveSnapshot.run(BigInt(s.seq), s.json);
    });
    this.snapshotTx = (s) => snapshot.immediate(s);
    // A group (deferred-sqlite-journal.ts): every event, then every snapshot, one transaction.
    const group = db.transaction((events: readonly StoredEvent[], snapshots: readonly StoredSnapshot[]) => {
      let last = this.queryLastSeq();
      validateBatch(last, events);
      last += events.length;
      for (const s of snapshots) validateSnapshot(last, s);
      if (events.length > 0) this.insertBatch(events);
      for (const s of snapshots) this.stmtSaveSnapshot.run(BigInt(s.seq), s.json);
    });
    this.groupTx = (events, snapshots) => group.immediate(events, snapshots);
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
    const busy = `busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`;
    if (options.readOnly === true) {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        db.defaultSafeIntegers(true);
        db.pragma(busy);
        const version = readSchemaVersion(db);
        if (version === undefined) throw new JournalSchemaError('not a Plimsoll journal: no schema_version');
        checkVersion(version);
        return new SqliteJournal(db, path, undefined);
      } catch (err) {
        db.close();
        throw err;
      }
    }
    const lock = path === ':memory:' ? undefined : takeWriterLock(path);
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.defaultSafeIntegers(true);
      db.pragma(busy);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.durable === true ? 'FULL' : 'NORMAL'}`);
      migrate(db);
      return new SqliteJournal(db, path, lock);
    } catch (err) {
      db?.close();
      lock?.close();
      throw err;
    }
  }

  append(events: readonly StoredEvent[]): void {
    this.ensureOpen();
    if (this.db.readonly) throw new JournalReadOnlyError(this.path);
    if (Array.isArray(events) && events.length === 0) return;
    this.appendTx(events);
  }

  /**
   * Appends `events` and stores `snapshots` (each with a seq up to the batch's last) in ONE
   * transaction: one commit, one fsync with `durable`, for a whole group of commands. All or
   * nothing: a bad record or seq throws and writes nothing.
   */
  appendGroup(events: readonly StoredEvent[], snapshots: readonly StoredSnapshot[] = []): void {
    this.ensureOpen();
    if (this.db.readonly) throw new JournalReadOnlyError(this.path);
    if (events.length === 0 && snapshots.length === 0) return;
    this.groupTx(events, snapshots);
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
    if (this.db.readonly) throw new JournalReadOnlyError(this.path);
    this.snapshotTx(snapshot);
  }

  latestSnapshot(): StoredSnapshot | undefined {
    this.ensureOpen();
    const row = this.stmtLatestSnapshot.get();
    return row === undefined ? undefined : { seq: toSeq(row[0]), json: row[1] };
  }

  /** Closes the journal and releases its writer lock; idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
    if (this.writerLock?.open) this.writerLock.close(); // ends the EXCLUSIVE transaction: lock released
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

  /**
   * Inserts an already encoded batch (`data` from encodeBatch) as the events firstSeq…lastSeq,
   * with the snapshots, in ONE transaction after checking it continues the journal. This is the
   * write a commit worker (sqlite-commit-worker.ts) performs on its own connection; here it
   * serves tests and tools that write a batch row directly.
   */
  appendEncoded(
    firstSeq: number,
    count: number,
    data: Buffer,
    snapshots: readonly StoredSnapshot[] = [],
  ): void {
    this.ensureOpen();
    if (this.db.readonly || !this.stmtInsert) throw new JournalReadOnlyError(this.path);
    const insert = this.stmtInsert;
    this.db
      .transaction(() => {
        const last = this.queryLastSeq();
        if (firstSeq !== last + 1) {
          throw new JournalSequenceError(last + 1, firstSeq, 'batch does not continue the journal');
        }
        insert.run(BigInt(firstSeq), BigInt(firstSeq + count - 1), data);
        for (const s of snapshots) {
          validateSnapshot(firstSeq + count - 1, s);
          this.stmtSaveSnapshot.run(BigInt(s.seq), s.json);
        }
      })
      .immediate();
  }

  private insertBatch(events: readonly StoredEvent[]): void {
    if (!this.stmtInsert) throw new JournalReadOnlyError(this.path);
    const first = events[0]!.seq;
    this.stmtInsert.run(BigInt(first), BigInt(first + events.length - 1), compressBatch(encodeBatch(events)));
  }

  private *iterate(afterSeq: number): Generator<StoredEvent, void, undefined> {
    this.ensureOpen();
    // for-of closes the statement iterator when the consumer breaks or stops early.
    for (const [seq, type, json, data] of this.stmtRead.iterate(BigInt(afterSeq), BigInt(afterSeq + 1))) {
      if (data === null) {
        yield { seq: toSeq(seq), type: type ?? '', json: json ?? '' };
        continue;
      }
      for (const e of decodeBatch(toSeq(seq), data)) if (e.seq > afterSeq) yield e;
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

/** The companion lock file of a journal file. */
export function writerLockPath(path: string): string {
  return `${path}.writer-lock`;
}

/**
 * Takes the journal's writer lock: an EXCLUSIVE transaction on the companion lock database,
 * held open until close (or process death). Fails after about LOCK_WAIT_MS when another
 * connection holds it. Two openers racing on a fresh lock file can each hold the SHARED lock the
 * other needs to escalate; SQLite then refuses both at once without waiting (seen in the
 * two-process race test, under load even with a busy timeout). So a refused attempt closes its
 * connection — dropping its SHARED lock — and tries again after a short random pause until the
 * deadline: exactly one of the racers wins, and a lock held by a live writer still refuses.
 */
const LOCK_WAIT_MS = 250;
const LOCK_ATTEMPT_WAIT_MS = 50;
const pause = new Int32Array(new SharedArrayBuffer(4));

function takeWriterLock(path: string): Database.Database {
  const lockPath = writerLockPath(path);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const lock = new Database(lockPath);
    try {
      lock.pragma(`busy_timeout = ${LOCK_ATTEMPT_WAIT_MS}`);
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.exec('BEGIN EXCLUSIVE');
      return lock;
    } catch (err) {
      lock.close();
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY') throw err;
      if (Date.now() >= deadline) throw new JournalLockedError(path);
      Atomics.wait(pause, 0, 0, 1 + Math.floor(Math.random() * 20)); // synchronous: open() is
    }
  }
}

function checkVersion(version: number): void {
  if (version > SQLITE_JOURNAL_SCHEMA_VERSION) {
    throw new JournalSchemaError(
      `journal schema version ${version} is newer than supported version ${SQLITE_JOURNAL_SCHEMA_VERSION}`,
    );
  }
  if (version < 1) throw new JournalSchemaError(`invalid journal schema version ${version}`);
}

/** A stored integer as a JS number, refusing values beyond Number.MAX_SAFE_INTEGER. */
function toSeq(value: bigint | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || BigInt(n) !== BigInt(value)) {
    throw new JournalSchemaError(`stored seq ${String(value)} is not a safe integer`);
  }
  return n;
}

function hasTable(db: Database.Database, name: string): boolean {
  const n = db
    .prepare<[string], bigint>("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")
    .pluck()
    .get(name);
  return n !== undefined && n > 0n;
}

const CREATE_BATCHES = `
  CREATE TABLE batches (
    first_seq INTEGER PRIMARY KEY CHECK (first_seq >= 1),
    last_seq INTEGER NOT NULL CHECK (last_seq >= first_seq),
    data BLOB NOT NULL
  ) STRICT;`;

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
        ${CREATE_BATCHES}
      `);
      db.prepare('INSERT INTO schema_version (id, version) VALUES (1, ?)').run(
        BigInt(SQLITE_JOURNAL_SCHEMA_VERSION),
      );
      return;
    }
    checkVersion(version);
    if (version < 2) {
      // version 1 → 2: its event rows stay where they are (reads merge both tables)
      db.exec(CREATE_BATCHES);
      db.prepare('UPDATE schema_version SET version = 2 WHERE id = 1').run();
    }
    // Future: `if (version < 3) { ...; UPDATE schema_version SET version = 3 }`.
  }).immediate();
}
