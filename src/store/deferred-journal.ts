/**
 * A journal with group commit: `append` and `saveSnapshot` only buffer (they validate the
 * sequence at once, so the engine sees the same errors as from a synchronous journal), and
 * `flush()` makes everything buffered durable in one transaction. The service acknowledges a
 * command only after the flush that carries its events has resolved; a flush that fails leaves
 * the durable journal as it was before the group, and the caller reopens the engine from it.
 *
 * `read` serves what is durable (the engine folds it on open and on restore); `readRange` reads
 * durable events asynchronously for clients catching up (a WebSocket resume), without holding
 * every event in memory.
 */
import type { Journal, StoredEvent } from './journal.ts';

export interface DeferredJournal extends Journal {
  /** Commits every buffered event and snapshot in one transaction; rejects (and keeps nothing of the group) on failure. */
  flush(): Promise<void>;
  /** Events buffered but not yet flushed. */
  pendingCount(): number;
  /** Drops the buffered group after a failed flush; lastSeq() is the durable one again. */
  discardPending(): void;
  /** Highest durable seq (lastSeq() includes buffered events). */
  durableSeq(): number;
  /** Up to `limit` durable events with seq > afterSeq, in order. */
  readRange(afterSeq: number, limit: number): Promise<StoredEvent[]>;
}
