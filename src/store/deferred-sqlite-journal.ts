/**
 * Group commit on the SQLite journal: the engine's appends are buffered (validated at once) and
 * `flush()` writes the whole group — every event and snapshot of many commands — in ONE SQLite
 * transaction (`SqliteJournal.appendGroup`), so a service pays one commit (one fsync with
 * `durable: true`) per group instead of one per command.
 *
 * The file, its schema, its writer lock and its read-only mode are the SQLite journal's
 * (sqlite-journal.ts): a deferred journal and a plain one open the same files, one at a time.
 * The write is synchronous (better-sqlite3), so a flush blocks the event loop for one commit;
 * commands that arrive meanwhile form the next group.
 */
import { BufferedJournal, checkRange } from './buffered-journal.ts';
import type { StoredEvent, StoredSnapshot } from './journal.ts';
import { SqliteJournal, type SqliteJournalInfo, type SqliteJournalOptions } from './sqlite-journal.ts';

export class DeferredSqliteJournal extends BufferedJournal {
  private constructor(
    private readonly inner: SqliteJournal,
    path: string,
    readOnly: boolean,
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
  static open(path: string | ':memory:', options: SqliteJournalOptions = {}): DeferredSqliteJournal {
    const inner = SqliteJournal.open(path, options);
    try {
      return new DeferredSqliteJournal(inner, path, options.readOnly === true);
    } catch (err) {
      inner.close();
      throw err;
    }
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

  protected writeGroup(events: readonly StoredEvent[], snapshots: readonly StoredSnapshot[]): void {
    this.inner.appendGroup(events, snapshots);
  }

  protected release(): void {
    this.inner.close();
  }
}
