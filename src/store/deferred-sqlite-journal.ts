/**
 * Group commit on the SQLite journal: the engine's appends are buffered (validated at once) and
 * `flush()` writes the whole group — every event and snapshot of many commands — in ONE SQLite
 * transaction (`SqliteJournal.appendGroup`), so a service pays one commit (one fsync with
 * `durable: true`) per group instead of one per command.
 *
 * The file, its schema, its writer lock and its read-only mode are the SQLite journal's
 * (sqlite-journal.ts): a deferred journal and a plain one open the same files, one at a time.
 * A group is ONE batch row (batch-codec.ts). On a file the commit runs on a worker thread
 * (sqlite-commit-worker.ts, its own connection), so the engine executes the next group while
 * this one is written and fsynced; the flush resolves only after the worker's COMMIT returned.
 * With a worker, each append is encoded into the group's batch buffer at once (BatchEncoder),
 * while the engine's json text is still in the CPU's cache: copying a whole group's strings out
 * at flush, after they went cold, cost the engine's thread several microseconds per fill.
 * The main thread's connection (which holds the writer lock) only reads: the fold, `read`
 * and `readRange`. `{ commitWorker: false }` (and ':memory:', which a second connection cannot
 * share) writes on the main thread instead, blocking the event loop for each commit.
 */
import { BatchEncoder, encodeBatch } from './batch-codec.ts';
import { BufferedJournal, checkRange } from './buffered-journal.ts';
import type { StoredEvent, StoredSnapshot } from './journal.ts';
import { SqliteCommitWorker } from './sqlite-commit-worker.ts';
import { SqliteJournal, type SqliteJournalInfo, type SqliteJournalOptions } from './sqlite-journal.ts';

const EMPTY = Buffer.alloc(0);
/** Records buffers kept for reuse (see `spares`). */
const MAX_SPARES = 2;

export interface DeferredSqliteJournalOptions extends SqliteJournalOptions {
  /** Commit on a worker thread (default true for files; always false for ':memory:'). */
  readonly commitWorker?: boolean;
}

export class DeferredSqliteJournal extends BufferedJournal {
  private constructor(
    private readonly inner: SqliteJournal,
    path: string,
    readOnly: boolean,
    /** The thread that commits groups, or undefined when they are written on this one. */
    private readonly worker: SqliteCommitWorker | undefined,
  ) {
    super(inner.lastSeq(), path, readOnly);
  }

  /**
   * Opens (creating if needed) the journal at `path` with group commit; options as SqliteJournal.open.
   *
   * @example
   * const journal = DeferredSqliteJournal.open('plimsoll.sqlite', { durable: true });
   * const engine = Engine.open(journal);
   * engine.execute(command);      // buffered: not durable yet
   * await journal.flush();        // now it is
   */
  static open(path: string | ':memory:', options: DeferredSqliteJournalOptions = {}): DeferredSqliteJournal {
    const { commitWorker, ...sqlite } = options;
    const inner = SqliteJournal.open(path, sqlite);
    const readOnly = options.readOnly === true;
    const useWorker = commitWorker !== false && !readOnly && path !== ':memory:';
    try {
      // the worker's connection opens after inner: the file exists, migrated, and its lock is held
      const worker = useWorker
        ? new SqliteCommitWorker(path, {
            durable: options.durable === true,
            busyTimeoutMs: Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000)),
          })
        : undefined;
      return new DeferredSqliteJournal(inner, path, readOnly, worker);
    } catch (err) {
      inner.close();
      throw err;
    }
  }

  /** The pending events encoded so far (with a worker only): exactly the pending events, in order. */
  private encoder: BatchEncoder | undefined;
  /**
   * Records buffers the worker handed back, for the next groups' encoders: a buffer already
   * mapped and touched costs a transfer far less than a fresh one (in a microbenchmark ~80 µs
   * against 250–1,600 µs of the engine thread's CPU for 900 kB). Two circulate while one group
   * is written and the next one fills; at most two are kept (the largest groups' size each).
   */
  private readonly spares: Buffer[] = [];

  /** True when groups are committed on a worker thread. */
  get commitsInWorker(): boolean {
    return this.worker !== undefined;
  }

  /** Tests: the commit worker dies right after its next commit, before answering it. */
  crashCommitWorkerAfterNextCommit(): void {
    this.worker?.crashAfterNextCommit();
  }

  /** Ends the commit worker at once, as a crash of it would (for fault tests). */
  async killCommitWorker(): Promise<void> {
    await this.worker?.kill();
  }

  async readRange(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    this.ensureOpen();
    checkRange(afterSeq, limit);
    // a reader sees what the writer committed since; a writer only what it knows is committed
    const durable = this.readOnly ? Number.MAX_SAFE_INTEGER : this.durableSeq();
    const out: StoredEvent[] = [];
    for (const e of this.inner.read(afterSeq)) {
      if (e.seq > durable || out.length >= limit) break;
      out.push(e);
    }
    return out;
  }

  /** The SQLite journal's effective settings. */
  info(): SqliteJournalInfo {
    this.ensureOpen();
    return this.inner.info();
  }

  protected durableEvents(afterSeq: number): Iterator<StoredEvent> {
    return this.inner.read(afterSeq);
  }

  protected durableSnapshot(): StoredSnapshot | undefined {
    return this.inner.latestSnapshot();
  }

  protected override stage(events: readonly StoredEvent[]): void {
    if (!this.worker) return;
    if (this.encoder === undefined) {
      this.encoder = new BatchEncoder(this.spares.pop());
    }
    this.encoder.add(events); // all or nothing: on a throw the append is refused, nothing staged
  }

  protected override dropStaged(): void {
    this.encoder = undefined;
  }

  protected writeGroup(
    events: readonly StoredEvent[],
    snapshots: readonly StoredSnapshot[],
  ): void | Promise<void> {
    const encoder = this.encoder;
    this.encoder = undefined;
    if (!this.worker) return this.inner.appendGroup(events, snapshots);
    // events were validated by append (they continue durableSeq()); the worker checks the store agrees
    const first = this.durableSeq() + 1;
    if (events.length === 0) return this.worker.write(first, 0, EMPTY, EMPTY, snapshots).then(() => {});
    let header: Buffer;
    let records: Buffer;
    if (encoder !== undefined && encoder.count === events.length) ({ header, records } = encoder.finish());
    else {
      // the staged records do not match the group (never expected): encode the group itself
      header = encodeBatch(events);
      records = EMPTY;
    }
    return this.worker
      .write(first, events.length, header, records, snapshots, records !== EMPTY)
      .then((spare) => {
        if (spare !== undefined && this.spares.length < MAX_SPARES) this.spares.push(spare);
      });
  }

  protected release(): void | Promise<void> {
    // No write is in flight here (BufferedJournal releases after it), so the worker is idle: the
    // lock is released at once, as without a worker, and the worker's connection closes after.
    this.inner.close();
    return this.worker?.close();
  }
}
