/**
 * An in-memory journal with injected faults, for the fail-stop tests: chosen appends throw
 * (before writing anything, or after writing the batch), and reads can be made to fail.
 */
import type { StoredEvent } from '../../src/store/journal.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';

export class FaultyJournal extends InMemoryJournal {
  /** Appends attempted so far (failed ones included). */
  appends = 0;
  /** The append numbers (1-based, as counted by `appends`) that fail. */
  readonly failing = new Set<number>();
  failReads = false;
  /** 'before': a failing append writes nothing; 'after': it writes the batch, then throws. */
  mode: 'before' | 'after' = 'before';

  /** Makes the k-th append from now fail. */
  failIn(k: number): void {
    this.failing.add(this.appends + k);
  }

  override append(events: readonly StoredEvent[]): void {
    this.appends += 1;
    const fail = this.failing.has(this.appends);
    if (fail && this.mode === 'before') throw new Error('disk full');
    super.append(events);
    if (fail) throw new Error('connection lost after commit');
  }

  override read(afterSeq?: number): IterableIterator<StoredEvent> {
    if (this.failReads) throw new Error('journal unreadable');
    return super.read(afterSeq);
  }

  override latestSnapshot() {
    if (this.failReads) throw new Error('journal unreadable');
    return super.latestSnapshot();
  }
}
