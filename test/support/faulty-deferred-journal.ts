/**
 * A deferred journal over an in-memory store with injected faults, for the group-commit tests:
 * chosen flushes fail before writing anything, or after writing their group (a commit whose
 * answer was lost); flushes can be slowed down; reopening can be made to fail. The store
 * outlives the journals opened on it, as a database outlives its connections.
 */
import { BufferedJournal } from '../../src/store/buffered-journal.ts';
import {
  normalizeAfterSeq,
  type StoredEvent,
  type StoredSnapshot,
  validateBatch,
  validateSnapshot,
} from '../../src/store/journal.ts';

export class FaultyStore {
  readonly events: StoredEvent[] = [];
  readonly snapshots: StoredSnapshot[] = [];
  /** Flushes attempted so far (failed ones included), over every journal opened on the store. */
  flushes = 0;
  /** Sizes (events) of the groups written. */
  readonly groupSizes: number[] = [];
  /** The flush numbers (1-based, as counted by `flushes`) that fail. */
  readonly failing = new Set<number>();
  mode: 'before' | 'after' = 'before';
  /** Milliseconds each flush takes; 'tick': one turn of the event loop (setImmediate), deterministic. */
  delayMs: number | 'tick' = 0;
  /** Reopening fails while true. */
  failOpen = false;

  /** Makes the k-th flush from now fail. */
  failIn(k: number): void {
    this.failing.add(this.flushes + k);
  }
}

export class FaultyDeferredJournal extends BufferedJournal {
  private constructor(readonly store: FaultyStore) {
    super(store.events.length, 'faulty memory store', false);
  }

  static async open(store: FaultyStore): Promise<FaultyDeferredJournal> {
    await Promise.resolve();
    if (store.failOpen) throw new Error('cannot connect to the store');
    return new FaultyDeferredJournal(store);
  }

  async readRange(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    const durable = this.durableSeq();
    return this.store.events.slice(afterSeq, Math.min(durable, afterSeq + limit));
  }

  protected durableEvents(afterSeq: number): Iterator<StoredEvent> {
    return this.store.events.slice(normalizeAfterSeq(afterSeq))[Symbol.iterator]();
  }

  protected durableSnapshot(): StoredSnapshot | undefined {
    let best: StoredSnapshot | undefined;
    for (const s of this.store.snapshots) if (!best || s.seq >= best.seq) best = s;
    return best;
  }

  protected async writeGroup(
    events: readonly StoredEvent[],
    snapshots: readonly StoredSnapshot[],
  ): Promise<void> {
    const store = this.store;
    store.flushes += 1;
    const fail = store.failing.has(store.flushes);
    const delay = store.delayMs;
    if (delay === 'tick') await new Promise((r) => setImmediate(r));
    else if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    else await Promise.resolve();
    if (fail && store.mode === 'before') throw new Error('disk full');
    validateBatch(store.events.length, events);
    for (const s of snapshots) validateSnapshot(store.events.length + events.length, s);
    store.events.push(...events);
    store.snapshots.push(...snapshots);
    store.groupSizes.push(events.length);
    if (fail) throw new Error('connection lost after commit');
  }

  protected release(): void {}
}
