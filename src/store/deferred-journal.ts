/**
 * A journal with group commit: `append` and `saveSnapshot` only buffer (they validate the
 * sequence at once, so the engine sees the same errors as from a synchronous journal), and
 * `flush()` makes everything buffered durable in one transaction. The service acknowledges a
 * command only after the flush that carries its events has resolved; a flush that fails leaves
 * the durable journal as it was before the group, and the caller reopens the engine from it.
 *
 * `read` serves the journal as the engine wrote it — durable events, then the buffered ones — so
 * the engine's own fold (its restore after a fault, the answer to a repeated command id) agrees
 * with its memory; right after open (and after `discardPending()`) that is exactly what is
 * durable. `readRange` reads only durable events, asynchronously, for clients catching up (a
 * WebSocket resume), without holding every event in memory.
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
