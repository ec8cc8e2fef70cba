/**
 * Group commit for the service: the CommandSink over an engine on a deferred journal.
 *
 * `submit` executes the command on the engine at once (JavaScript runs one command at a time,
 * so commands are applied in submission order) and resolves only after the flush that carries
 * its events has committed. While one flush is being written, new commands keep executing and
 * their events accumulate in the journal's buffer; the next flush takes them all, so many
 * commands share one transaction (one fsync) under load, and a lone command waits for one.
 *
 * When no flush is in flight, a group is not left to grow until the commands already due have
 * all run: it is flushed as soon as it has been executing for as long as recent commits took
 * (and holds a minimum of events), or holds `eagerFlushEvents`. Under load the engine then
 * executes one group while the store commits the previous one — two groups alternate — instead
 * of executing everything in flight and then idling while it all commits: with N commands in
 * flight, the engine's rate bounds the throughput once N/2 commands take as long to execute as
 * one commit, where one group at a time gives N / (N × execute + commit).
 *
 * What is acknowledged when:
 * - a command with events (or the marker of a rejected command with an id): after its group's
 *   flush resolved;
 * - a rejection that journaled nothing: at once (nothing to make durable);
 * - a repeat of a command id (`replayed: true`): after everything applied before it is durable,
 *   so an answer read from a group still being written is never given early.
 * `onCommitted` listeners get each batch of events once, in seq order, after it is durable.
 *
 * A failed flush: the journal's transaction rolled back, so every command of that group, and
 * every command applied after it, resolves `JOURNAL_WRITE_FAILED` (never acknowledged) and none
 * of its events is published. The buffers are discarded, the journal closed and the engine
 * reopened through the opener, so memory is the fold of the durable journal again (if the
 * reopened journal shows the group did land — a commit whose answer was lost — those commands
 * are acknowledged and published after all: the journal decides). Commands submitted during
 * the reopen wait for it. If the reopen fails, the pipeline halts: every command then gets
 * ENGINE_HALTED, and `engine` is the last engine, whose state may hold uncommitted events —
 * restart the service.
 */
import type { Engine, ExecuteResult } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import type { RejectionCode } from '../core/model/rejection.ts';
import type { DeferredJournal } from '../store/deferred-journal.ts';
import type { CommandSink } from './command-sink.ts';

/** An engine and the deferred journal it writes to (the engine folded that journal). */
export interface OpenedEngine {
  readonly engine: Engine;
  readonly journal: DeferredJournal;
}

/**
 * Opens the journal and the engine on it. Called once at start and again after a failed
 * flush (after the previous journal was closed), so it must open the same store.
 */
export type EngineOpener = () => Promise<OpenedEngine>;

export interface CommitPipelineOptions {
  /**
   * At most this many events are buffered (the group being written plus the next one); commands
   * submitted beyond it wait, unexecuted, until the flush in flight completes. Default 20,000.
   */
  readonly maxPendingEvents?: number;
  /**
   * When no flush is in flight and this many events are buffered, the flush starts at once,
   * inside the burst, instead of after the commands already due have run: the rest of the burst
   * then executes while the group is written (on SQLite, by the commit worker). Default 2,048.
   */
  readonly eagerFlushEvents?: number;
  /**
   * When no flush is in flight and at least this many events are buffered, the flush also starts
   * once the buffered group has been executing for as long as recent flushes took (so the next
   * group executes while this one commits). Default 256; 0 turns the time rule off.
   */
  readonly overlapFlushMinEvents?: number;
  /** Milliseconds of a monotonic clock (tests); default `performance.now`. */
  readonly now?: () => number;
  /** Snapshot the engine every this many events, in the same flush as the events; 0 (default): never. */
  readonly snapshotEvery?: number;
  /** Told about each failed flush and its outcome (reopened or halted), e.g. to log it. */
  readonly onFault?: (fault: CommitFault) => void;
}

export interface CommitFault {
  /** Why the flush (or the engine) failed. */
  readonly error: unknown;
  /** Commands that were answered JOURNAL_WRITE_FAILED. */
  readonly failedCommands: number;
  /** 'reopened': the engine is the journal's fold again; 'halted': it could not be reopened. */
  readonly outcome: 'reopened' | 'halted';
}

/** Counters for metrics. */
export interface CommitStats {
  /** Flushes that committed at least one event. */
  readonly groups: number;
  /** Commands acknowledged after a flush. */
  readonly committedCommands: number;
  readonly committedEvents: number;
  readonly failedFlushes: number;
  /** Commands waiting in the queue (not executed yet). */
  readonly queued: number;
}

interface Waiter {
  /** The command is acknowledged once durableSeq() >= target. */
  readonly target: number;
  readonly result: ExecuteResult;
  readonly resolve: (r: ExecuteResult) => void;
}

interface Queued {
  readonly command: unknown;
  readonly resolve: (r: ExecuteResult) => void;
  readonly reject: (e: unknown) => void;
}

type Listener = (events: readonly Sequenced[]) => void;

const DEFAULT_MAX_PENDING_EVENTS = 20_000;
const DEFAULT_EAGER_FLUSH_EVENTS = 2_048;
const DEFAULT_OVERLAP_FLUSH_MIN_EVENTS = 256;

export class CommitPipeline implements CommandSink {
  private current: OpenedEngine;
  private unsubscribeEngine: () => void = () => {};
  private readonly listeners: Listener[] = [];
  /** Executed commands waiting for durability, in target order. */
  private waiting: Waiter[] = [];
  /** Event batches applied but not yet durable, in seq order. */
  private unpublished: (readonly Sequenced[])[] = [];
  /** Commands not executed yet (group full, or a reopen in progress). */
  private readonly queue: Queued[] = [];
  private flushing = false;
  private flushScheduled = false;
  private recovering = false;
  private closing = false;
  private haltReason: string | undefined;
  private lastSnapshotSeq: number;
  private idleWaiters: (() => void)[] = [];
  private readonly maxPending: number;
  private readonly eagerFlush: number;
  private readonly overlapMin: number;
  private readonly now: () => number;
  /** How long flushes take, start to commit (ms, smoothed over the last few); undefined before the first. */
  private lastFlushMs: number | undefined;
  /** When the buffered group (not in flight) got its first command, while no flush was in flight. */
  private groupStartedAt: number | undefined;
  private counters = { groups: 0, committedCommands: 0, committedEvents: 0, failedFlushes: 0 };

  private constructor(
    private readonly opener: EngineOpener,
    opened: OpenedEngine,
    private readonly options: CommitPipelineOptions,
  ) {
    this.current = opened;
    this.maxPending = Math.max(1, options.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS);
    this.eagerFlush = Math.max(1, options.eagerFlushEvents ?? DEFAULT_EAGER_FLUSH_EVENTS);
    const min = options.overlapFlushMinEvents ?? DEFAULT_OVERLAP_FLUSH_MIN_EVENTS;
    this.overlapMin = min > 0 ? min : Number.POSITIVE_INFINITY;
    this.now = options.now ?? (() => performance.now());
    this.lastSnapshotSeq = opened.journal.latestSnapshot()?.seq ?? 0;
    this.attach(opened);
  }

  /**
   * Opens the engine through `opener` and starts the pipeline.
   *
   * @example
   * // engineOpener (src/store/open-store.ts): openStore(spec) + Engine.open, or Engine.create(config)
   * const sink = await CommitPipeline.start(engineOpener(flags.store, { config, clock }), { snapshotEvery: 10_000 });
   * const r = await sink.submit({ type: 'deposit', ... }); // durable when it resolves
   */
  static async start(opener: EngineOpener, options: CommitPipelineOptions = {}): Promise<CommitPipeline> {
    const opened = await opener();
    const pipeline = new CommitPipeline(opener, opened, options);
    // anything the opener left buffered (Engine.create's first event) is committed first
    if (opened.journal.pendingCount() > 0) await opened.journal.flush();
    return pipeline;
  }

  get engine(): Engine {
    return this.current.engine;
  }

  /** The journal the engine currently writes to (replaced with the engine after a failed flush). */
  get journal(): DeferredJournal {
    return this.current.journal;
  }

  /** Why the pipeline refuses every command (it could not reopen), or undefined while it runs. */
  get halted(): string | undefined {
    return this.haltReason;
  }

  stats(): CommitStats {
    return { ...this.counters, queued: this.queue.length };
  }

  submit(command: unknown): Promise<ExecuteResult> {
    if (this.haltReason !== undefined) return Promise.resolve(refusal('ENGINE_HALTED', this.haltReason));
    if (this.closing) return Promise.resolve(refusal('ENGINE_HALTED', 'the service is shutting down'));
    if (this.recovering || this.queue.length > 0 || this.full()) {
      return new Promise((resolve, reject) => this.queue.push({ command, resolve, reject }));
    }
    try {
      return this.run(command);
    } catch (err) {
      // an engine bug (the engine restored itself from the journal, or halted): the caller's 500
      return Promise.reject(err);
    }
  }

  onCommitted(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.scheduleFlush();
    return p;
  }

  /** Refuses new commands, drains, and closes the journal (releasing its writer lock). */
  async close(): Promise<void> {
    this.closing = true;
    await this.drain();
    this.unsubscribeEngine();
    await closeJournal(this.current.journal);
  }

  /** Executes now; the promise resolves when the outcome may be told. */
  private run(command: unknown): Promise<ExecuteResult> {
    const journal = this.current.journal;
    const before = journal.lastSeq();
    // a throw here is an engine bug: the engine restored itself from the journal (or halted)
    const result = this.current.engine.execute(command);
    if (this.current.engine.halted !== undefined) {
      // the engine could not read its journal back: reopen it like after a failed flush
      this.scheduleRecovery(new Error(this.current.engine.halted));
    }
    const target = journal.lastSeq();
    this.maybeSnapshot();
    const journaledNothing = target === before && result.replayed !== true;
    if (journaledNothing || target <= journal.durableSeq()) return Promise.resolve(result);
    const p = new Promise<ExecuteResult>((resolve) => this.waiting.push({ target, result, resolve }));
    if (!this.flushing && !this.recovering && this.flushEarly(journal.pendingCount())) this.flushNow();
    else this.scheduleFlush();
    return p;
  }

  /**
   * With no flush in flight: start it now, inside the burst? Yes once `eagerFlushEvents` are
   * buffered, or once at least `overlapFlushMinEvents` are and the group has been executing for
   * as long as recent flushes took (the next group then executes while this one commits).
   */
  private flushEarly(buffered: number): boolean {
    if (buffered >= this.eagerFlush) return true;
    const now = this.now();
    this.groupStartedAt ??= now;
    return (
      buffered >= this.overlapMin &&
      this.lastFlushMs !== undefined &&
      now - this.groupStartedAt >= this.lastFlushMs
    );
  }

  private maybeSnapshot(): void {
    const every = this.options.snapshotEvery ?? 0;
    if (every <= 0) return;
    const engine = this.current.engine;
    if (engine.halted !== undefined || engine.state.seq - this.lastSnapshotSeq < every) return;
    try {
      engine.snapshot();
      this.lastSnapshotSeq = engine.state.seq;
    } catch {
      // a snapshot is only an optimisation; the next command tries again
    }
  }

  private full(): boolean {
    return this.current.journal.pendingCount() >= this.maxPending;
  }

  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled || this.recovering) return;
    this.flushScheduled = true;
    // after the I/O callbacks already due: commands that arrived together share this flush
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushNow();
    });
  }

  private flushNow(): void {
    if (this.flushing || this.recovering || this.haltReason !== undefined) return;
    const journal = this.current.journal;
    if (journal.pendingCount() === 0 && this.waiting.length === 0) {
      // a snapshot alone (or nothing) may still be buffered; flush() is a no-op when nothing is
      void journal.flush().then(
        () => this.afterProgress(),
        (err: unknown) => this.recover(err),
      );
      return;
    }
    this.flushing = true;
    this.groupStartedAt = undefined;
    const started = this.now();
    journal.flush().then(
      () => {
        this.flushing = false;
        // smoothed (a quarter of each new measure), so one slow or quick commit does not swing the rule
        const took = this.now() - started;
        this.lastFlushMs =
          this.lastFlushMs === undefined ? took : this.lastFlushMs + (took - this.lastFlushMs) / 4;
        this.commitUpTo(journal.durableSeq());
        this.pump();
        if (this.current.journal.pendingCount() > 0) this.flushNow();
        this.afterProgress();
      },
      (err: unknown) => {
        this.flushing = false;
        void this.recover(err);
      },
    );
  }

  /** Publishes durable events and acknowledges the commands they complete. */
  private commitUpTo(durable: number): void {
    let n = 0;
    while (n < this.unpublished.length && lastSeqOf(this.unpublished[n]!) <= durable) n++;
    const batches = this.unpublished.splice(0, n);
    let events = 0;
    // the listeners as they are now (one may unsubscribe itself while called), copied once per group
    const listeners = this.listeners.length > 0 ? [...this.listeners] : this.listeners;
    for (const batch of batches) {
      events += batch.length;
      for (const l of listeners) {
        try {
          l(batch);
        } catch {
          // a listener's failure must not stop acknowledgements or other listeners
        }
      }
    }
    let k = 0;
    while (k < this.waiting.length && this.waiting[k]!.target <= durable) k++;
    const done = this.waiting.splice(0, k);
    for (const w of done) w.resolve(w.result);
    if (events > 0) this.counters.groups += 1;
    this.counters.committedEvents += events;
    this.counters.committedCommands += done.length;
  }

  /** Executes queued commands while there is room in the buffer. */
  private pump(): void {
    while (this.queue.length > 0 && !this.recovering && this.haltReason === undefined && !this.full()) {
      const q = this.queue.shift()!;
      try {
        this.run(q.command).then(q.resolve, q.reject);
      } catch (err) {
        q.reject(err);
      }
    }
    if (this.haltReason !== undefined) {
      for (const q of this.queue.splice(0)) q.resolve(refusal('ENGINE_HALTED', this.haltReason));
    }
  }

  private scheduleRecovery(error: unknown): void {
    if (this.recovering) return;
    // after the current command has been answered (its own promise is already settled or waiting)
    queueMicrotask(() => {
      if (!this.flushing) void this.recover(error);
      // else: the flush in flight settles first; a failure recovers, a success leaves the engine halted
      // until this runs again on the next command
    });
  }

  /**
   * After a failed flush: answer the group and everything after it JOURNAL_WRITE_FAILED (unless
   * the reopened journal shows it landed), drop the buffers, reopen the engine from the store.
   */
  private async recover(error: unknown): Promise<void> {
    if (this.recovering) return;
    this.recovering = true;
    this.groupStartedAt = undefined;
    this.counters.failedFlushes += 1;
    const old = this.current;
    const victims = this.waiting.splice(0);
    const unpublished = this.unpublished.splice(0);
    this.unsubscribeEngine();
    this.unsubscribeEngine = () => {};
    try {
      old.journal.discardPending();
    } catch {
      // closed already: the reopen below decides
    }
    const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    let opened: OpenedEngine | undefined;
    let reopenError: unknown;
    try {
      await closeJournal(old.journal);
      opened = await this.opener();
      if (opened.journal.pendingCount() > 0) await opened.journal.flush();
    } catch (err) {
      reopenError = err;
    }
    // what the store really holds decides: a group whose commit answer was lost may have landed
    const landed = opened ? opened.journal.durableSeq() : -1;
    let failed = 0;
    for (const batch of unpublished) {
      if (lastSeqOf(batch) <= landed) for (const l of [...this.listeners]) safeCall(l, batch);
    }
    for (const w of victims) {
      if (w.target <= landed) w.resolve(w.result);
      else {
        failed += 1;
        w.resolve(
          refusal('JOURNAL_WRITE_FAILED', `journal commit failed, the command was not applied: ${cause}`),
        );
      }
    }
    if (opened) {
      this.current = opened;
      this.lastSnapshotSeq = opened.journal.latestSnapshot()?.seq ?? 0;
      this.attach(opened);
      this.options.onFault?.({ error, failedCommands: failed, outcome: 'reopened' });
    } else {
      const why = reopenError instanceof Error ? reopenError.message : String(reopenError);
      this.haltReason = `journal commit failed (${cause}) and the engine could not be reopened: ${why}`;
      this.options.onFault?.({ error, failedCommands: failed, outcome: 'halted' });
    }
    this.recovering = false;
    this.pump();
    if (opened && opened.journal.pendingCount() > 0) this.scheduleFlush();
    this.afterProgress();
  }

  private attach(opened: OpenedEngine): void {
    // The engine's own array (the command's result holds it too), not a copy: nothing changes it
    // before it is published, since the command's result reaches its caller only after that.
    this.unsubscribeEngine = opened.engine.onEvents((events) => {
      if (events.length > 0) this.unpublished.push(events);
    });
  }

  private idle(): boolean {
    if (this.queue.length > 0 || this.waiting.length > 0 || this.flushing || this.recovering) return false;
    if (this.haltReason !== undefined) return true;
    return this.current.journal.pendingCount() === 0;
  }

  private afterProgress(): void {
    if (this.idleWaiters.length === 0) return;
    if (!this.idle()) {
      this.scheduleFlush();
      return;
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }
}

function lastSeqOf(batch: readonly Sequenced[]): number {
  return batch[batch.length - 1]!.seq;
}

function safeCall(l: Listener, batch: readonly Sequenced[]): void {
  try {
    l(batch);
  } catch {
    // see commitUpTo
  }
}

function refusal(code: RejectionCode, message: string): ExecuteResult {
  return {
    ok: false,
    rejection: { code, message: message.length <= 2000 ? message : `${message.slice(0, 1999)}…` },
  };
}

/** Closes a journal, waiting for its connections and lock when it can say when that is done. */
async function closeJournal(journal: DeferredJournal): Promise<void> {
  const closable = journal as DeferredJournal & { closeAsync?: () => Promise<void> };
  if (typeof closable.closeAsync === 'function') await closable.closeAsync();
  else journal.close();
}
