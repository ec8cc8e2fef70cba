/**
 * In-memory journal: the Journal contract on plain arrays, for tests and the simulator.
 *
 * Seqs are contiguous from 1, so the event with seq s lives at index s - 1 and
 * `read(afterSeq)` starts at index afterSeq without searching. Records are copied and
 * frozen on the way in, so a caller mutating its objects cannot rewrite history.
 * `read` sees the events journaled when it was called, not ones appended while iterating
 * (the SQLite adapter cannot append during a read at all; see sqlite-journal.ts).
 */
import {
  type Journal,
  JournalClosedError,
  normalizeAfterSeq,
  type StoredEvent,
  type StoredSnapshot,
  validateBatch,
  validateSnapshot,
} from './journal.ts';

export class InMemoryJournal implements Journal {
  private readonly events: StoredEvent[] = [];
  /** Snapshots by seq; latestSnapshot() picks the highest key. */
  private readonly snapshots = new Map<number, StoredSnapshot>();
  private closed = false;

  append(events: readonly StoredEvent[]): void {
    this.ensureOpen();
    validateBatch(this.events.length, events);
    for (const e of events) this.events.push(Object.freeze({ seq: e.seq, type: e.type, json: e.json }));
  }

  read(afterSeq?: number): IterableIterator<StoredEvent> {
    this.ensureOpen();
    return this.iterate(normalizeAfterSeq(afterSeq), this.events.length);
  }

  lastSeq(): number {
    this.ensureOpen();
    return this.events.length;
  }

  saveSnapshot(snapshot: StoredSnapshot): void {
    this.ensureOpen();
    validateSnapshot(this.events.length, snapshot);
    this.snapshots.set(snapshot.seq, Object.freeze({ seq: snapshot.seq, json: snapshot.json }));
  }

  latestSnapshot(): StoredSnapshot | undefined {
    this.ensureOpen();
    let best: StoredSnapshot | undefined;
    for (const s of this.snapshots.values()) if (best === undefined || s.seq > best.seq) best = s;
    return best;
  }

  close(): void {
    this.closed = true;
  }

  /** Yields events[start..end); checked lazily so a closed journal stops the iteration. */
  private *iterate(start: number, end: number): Generator<StoredEvent, void, undefined> {
    for (let i = start; i < end; i++) {
      this.ensureOpen();
      yield this.events[i]!;
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new JournalClosedError();
  }
}
