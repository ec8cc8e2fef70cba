/**
 * The buffering half of group commit, shared by the SQLite and PostgreSQL deferred journals:
 * `append` and `saveSnapshot` validate at once (the engine gets the same errors as from a
 * synchronous journal) and only buffer; `flush()` hands the whole buffer to the store's
 * `writeGroup` (one transaction) and, once it resolves, counts it as durable.
 *
 * Three layers, in seq order: durable (in the store), in flight (being written by the current
 * flush) and pending (appended since). `read` serves all three — the journal as the engine
 * wrote it — so the engine's own fold (restore after a fault, the answer to a repeated command
 * id) agrees with its memory; what is durable is `durableSeq()`, and `readRange` serves only
 * that. A failed flush keeps nothing of its group: the store's transaction rolled back, and the
 * caller drops the buffers with `discardPending()` and reopens its engine from the store.
 */
import type { DeferredJournal } from './deferred-journal.ts';
import {
  JournalClosedError,
  JournalReadOnlyError,
  JournalRecordError,
  normalizeAfterSeq,
  type StoredEvent,
  type StoredSnapshot,
  validateBatch,
  validateSnapshot,
} from './journal.ts';

/** A flush was refused: an earlier flush failed and its group was not discarded yet. */
export class JournalFlushFailedError extends Error {
  override name = 'JournalFlushFailedError';
}

export abstract class BufferedJournal implements DeferredJournal {
  private durable: number;
  private inflight: StoredEvent[] = [];
  private inflightSnapshots: StoredSnapshot[] = [];
  private pending: StoredEvent[] = [];
  private pendingSnapshots: StoredSnapshot[] = [];
  /** True while writeGroup runs; `flushing` settles (never rejects) when it is done. */
  private writing = false;
  private flushing: Promise<void> = Promise.resolve();
  /** Set when a flush failed, until discardPending(). */
  private failure: unknown;
  private isClosed = false;
  private released: Promise<void> | undefined;

  protected constructor(
    /** The store's last seq at open. */
    durableSeq: number,
    /** A name for error messages (file path or schema). */
    protected readonly label: string,
    protected readonly readOnly: boolean,
  ) {
    this.durable = durableSeq;
  }

  /** Durable events with seq > afterSeq (the store may also yield ones the caller then skips). */
  protected abstract durableEvents(afterSeq: number): Iterator<StoredEvent>;
  /** The durable snapshot with the highest seq. */
  protected abstract durableSnapshot(): StoredSnapshot | undefined;
  /**
   * Writes a group in ONE transaction (all or nothing); events continue durableSeq(). The
   * records are the journal's own, not frozen: a store that keeps them to hand out freezes them.
   */
  protected abstract writeGroup(
    events: readonly StoredEvent[],
    snapshots: readonly StoredSnapshot[],
  ): void | Promise<void>;
  /** Called after a group became durable, before the flush resolves. */
  protected afterDurable(_events: readonly StoredEvent[], _snapshots: readonly StoredSnapshot[]): void {}
  /** Releases the store (connections, locks). */
  protected abstract release(): void | Promise<void>;
  /**
   * Sees each validated append before it is buffered (a store may encode it while the engine's
   * text is fresh); a throw refuses the append, which then buffers nothing. What it staged is
   * dropped with the pending events (`dropStaged`); `writeGroup` receives the same events.
   */
  protected stage(_events: readonly StoredEvent[]): void {}
  /** The pending events were dropped (discardPending, close): drop what `stage` kept of them. */
  protected dropStaged(): void {}
  abstract readRange(afterSeq: number, limit: number): Promise<StoredEvent[]>;

  append(events: readonly StoredEvent[]): void {
    this.ensureWritable();
    validateBatch(this.lastSeq(), events);
    this.stage(events);
    // copies (the caller's objects may change), frozen only when read() hands them out: freezing
    // each of a fill's events here cost more than copying it
    for (const e of events) this.pending.push({ seq: e.seq, type: e.type, json: e.json });
  }

  read(afterSeq?: number): IterableIterator<StoredEvent> {
    this.ensureOpen();
    const after = normalizeAfterSeq(afterSeq);
    // what is journaled now: later appends are not seen (as with the in-memory journal)
    return this.iterate(after, this.durable, [...this.inflight, ...this.pending]);
  }

  lastSeq(): number {
    this.ensureOpen();
    return this.durable + this.inflight.length + this.pending.length;
  }

  saveSnapshot(snapshot: StoredSnapshot): void {
    this.ensureWritable();
    validateSnapshot(this.lastSeq(), snapshot);
    this.pendingSnapshots.push(Object.freeze({ seq: snapshot.seq, json: snapshot.json }));
  }

  latestSnapshot(): StoredSnapshot | undefined {
    this.ensureOpen();
    // newest layer first, so a same-seq snapshot saved later wins
    let best: StoredSnapshot | undefined;
    for (const s of [...this.pendingSnapshots].reverse()) if (!best || s.seq > best.seq) best = s;
    for (const s of [...this.inflightSnapshots].reverse()) if (!best || s.seq > best.seq) best = s;
    const d = this.durableSnapshot();
    if (d && (!best || d.seq > best.seq)) best = d;
    return best;
  }

  durableSeq(): number {
    this.ensureOpen();
    return this.durable;
  }

  pendingCount(): number {
    this.ensureOpen();
    return this.inflight.length + this.pending.length;
  }

  /** True while a flush is being written. */
  get flushInFlight(): boolean {
    return this.writing;
  }

  flush(): Promise<void> {
    if (this.writing) return this.flushing.then(() => this.flush());
    if (this.isClosed) return Promise.reject(new JournalClosedError());
    if (this.failure !== undefined) {
      return Promise.reject(
        new JournalFlushFailedError(
          `journal ${this.label}: an earlier flush failed; discardPending() and reopen first`,
        ),
      );
    }
    if (this.pending.length === 0 && this.pendingSnapshots.length === 0) return Promise.resolve();
    this.inflight = this.pending;
    this.inflightSnapshots = this.pendingSnapshots;
    this.pending = [];
    this.pendingSnapshots = [];
    const events = this.inflight;
    const snapshots = this.inflightSnapshots;
    this.writing = true;
    const run = async (): Promise<void> => {
      try {
        await this.writeGroup(events, snapshots);
      } catch (err) {
        this.failure = err;
        throw err;
      } finally {
        this.writing = false;
      }
      this.durable += events.length;
      this.inflight = [];
      this.inflightSnapshots = [];
      this.afterDurable(events, snapshots);
    };
    const p = run();
    this.flushing = p.catch(() => {});
    return p;
  }

  discardPending(): void {
    this.pending = [];
    this.pendingSnapshots = [];
    this.dropStaged();
    if (!this.writing) {
      this.inflight = [];
      this.inflightSnapshots = [];
      this.failure = undefined;
    }
  }

  /** Drops anything not flushed and releases the store; idempotent. Other calls then throw. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.pending = [];
    this.pendingSnapshots = [];
    this.dropStaged();
    // a flush being written finishes (or fails) before the store is released; otherwise the
    // release starts now (SQLite's lock is free when close() returns)
    const release = (): Promise<void> => {
      try {
        return Promise.resolve(this.release()).catch(() => {});
      } catch {
        return Promise.resolve();
      }
    };
    this.released = this.writing ? this.flushing.then(release) : release();
  }

  /** close(), then waits until connections and the writer lock are released. */
  async closeAsync(): Promise<void> {
    this.close();
    await this.released;
  }

  protected get closed(): boolean {
    return this.isClosed;
  }

  protected ensureOpen(): void {
    if (this.isClosed) throw new JournalClosedError();
  }

  private ensureWritable(): void {
    this.ensureOpen();
    if (this.readOnly) throw new JournalReadOnlyError(this.label);
  }

  private *iterate(
    after: number,
    durable: number,
    buffered: readonly StoredEvent[],
  ): Generator<StoredEvent, void, undefined> {
    if (after < durable) {
      const it = this.durableEvents(after);
      try {
        for (let r = it.next(); !r.done; r = it.next()) {
          const e = r.value;
          if (e.seq <= after) continue;
          if (e.seq > durable) break;
          this.ensureOpen();
          yield e;
        }
      } finally {
        it.return?.();
      }
    }
    for (const e of buffered) {
      if (e.seq <= after) continue;
      this.ensureOpen();
      yield Object.freeze({ seq: e.seq, type: e.type, json: e.json });
    }
  }
}

/** Checks readRange's arguments: a safe-integer afterSeq and a positive integer limit. */
export function checkRange(afterSeq: number, limit: number): void {
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq)) {
    throw new JournalRecordError(`readRange(afterSeq): expected a safe integer, got ${String(afterSeq)}`);
  }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
    throw new JournalRecordError(`readRange(limit): expected a positive integer, got ${String(limit)}`);
  }
}
