/**
 * The journal port: an append-only log of already-encoded engine events, plus snapshots.
 *
 * Plimsoll is event-sourced: every command the engine applies yields events numbered by a
 * sequence number (`seq`) that starts at 1 and increases by exactly 1 per event, with no
 * gaps. The journal is the source of truth; state = fold(events). Snapshots only speed up
 * recovery: load the latest snapshot, then replay `read(snapshot.seq)`.
 *
 * The store deliberately knows nothing about event types: a record is an opaque
 * `(seq, type, json)` triple encoded by the engine (bigints already turned into strings).
 * Adapters (SQLite, in-memory, PostgreSQL) share the batch validation below so they
 * reject exactly the same inputs; journal.contract.test.ts runs one suite against each.
 */

/** One journaled event, opaque to the store. `seq` is 1-based and contiguous. */
export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly json: string;
}

/** Encoded engine state after applying every event with seq <= `seq`. */
export interface StoredSnapshot {
  readonly seq: number;
  readonly json: string;
}

export interface Journal {
  /** Appends a batch atomically (one transaction); seqs must continue the journal exactly (lastSeq()+1, +2, ...) else throws JournalSequenceError and writes nothing. */
  append(events: readonly StoredEvent[]): void;
  /** Events with seq > afterSeq in order (iterate lazily; must handle millions of rows). */
  read(afterSeq?: number): IterableIterator<StoredEvent>;
  /** Highest journaled seq; 0 when empty. */
  lastSeq(): number;
  /** Stores a snapshot; its seq must be in [0, lastSeq()]. Same seq again replaces it. */
  saveSnapshot(snapshot: StoredSnapshot): void;
  /** The snapshot with the highest seq, or undefined when none was saved. */
  latestSnapshot(): StoredSnapshot | undefined;
  /** Releases resources; idempotent. Any other call afterwards throws JournalClosedError. */
  close(): void;
}

/** A batch (or snapshot) whose seq does not continue the journal; nothing was written. */
export class JournalSequenceError extends Error {
  override name = 'JournalSequenceError';
  constructor(
    /** The seq the journal required at this position. */
    readonly expected: number,
    /** The seq it was given. */
    readonly actual: unknown,
    detail: string,
  ) {
    super(`journal sequence error: ${detail} (expected seq ${expected}, got ${String(actual)})`);
  }
}

/** A record that is not a well-formed `(seq, type, json)` triple; nothing was written. */
export class JournalRecordError extends Error {
  override name = 'JournalRecordError';
}

/** The journal was used after close(). */
export class JournalClosedError extends Error {
  override name = 'JournalClosedError';
  constructor() {
    super('journal is closed');
  }
}

/** Another writer holds the journal (in this or another process); nothing was opened or changed. */
export class JournalLockedError extends Error {
  override name = 'JournalLockedError';
  constructor(readonly path: string) {
    super(
      `journal ${path} is open for writing elsewhere (one writer per journal); open it with { readOnly: true } to read`,
    );
  }
}

/** A write to a journal opened read-only. */
export class JournalReadOnlyError extends Error {
  override name = 'JournalReadOnlyError';
  constructor(readonly path: string) {
    super(`journal ${path} was opened read-only`);
  }
}

/** The stored schema is newer (or otherwise other) than this code understands. */
export class JournalSchemaError extends Error {
  override name = 'JournalSchemaError';
}

/**
 * Checks that `events` continues a journal whose last seq is `lastSeq`: the i-th event
 * must have seq lastSeq + 1 + i (a safe integer), a non-empty string type and a string
 * json. Throws JournalSequenceError / JournalRecordError; an empty batch is valid.
 *
 * @example
 * validateBatch(0, [{ seq: 1, type: 'Deposited', json: '{}' }]); // ok
 * validateBatch(3, [{ seq: 5, type: 'Deposited', json: '{}' }]); // throws: gap
 */
export function validateBatch(lastSeq: number, events: readonly StoredEvent[]): void {
  if (!Array.isArray(events)) throw new JournalRecordError('append expects an array of events');
  let expected = lastSeq;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    expected += 1;
    if (typeof event !== 'object' || event === null) {
      throw new JournalRecordError(`event #${i} is not an object`);
    }
    const seq: unknown = event.seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
      throw new JournalSequenceError(expected, seq, `event #${i} seq is not a safe integer`);
    }
    if (!Number.isSafeInteger(expected)) {
      throw new JournalSequenceError(expected, seq, `event #${i} seq exceeds Number.MAX_SAFE_INTEGER`);
    }
    if (seq !== expected) {
      const what = seq < expected ? 'duplicate or out-of-order seq' : 'gap in seq';
      throw new JournalSequenceError(expected, seq, `event #${i}: ${what}`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new JournalRecordError(`event seq ${seq}: type must be a non-empty string`);
    }
    if (typeof event.json !== 'string') {
      throw new JournalRecordError(`event seq ${seq}: json must be a string`);
    }
  }
}

/** Checks a snapshot against a journal whose last seq is `lastSeq` (0 <= seq <= lastSeq). */
export function validateSnapshot(lastSeq: number, snapshot: StoredSnapshot): void {
  if (typeof snapshot !== 'object' || snapshot === null) {
    throw new JournalRecordError('snapshot is not an object');
  }
  const seq: unknown = snapshot.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new JournalSequenceError(lastSeq, seq, 'snapshot seq must be a non-negative safe integer');
  }
  if (seq > lastSeq) {
    throw new JournalSequenceError(lastSeq, seq, 'snapshot seq is beyond the last journaled event');
  }
  if (typeof snapshot.json !== 'string') {
    throw new JournalRecordError(`snapshot seq ${seq}: json must be a string`);
  }
}

/** Normalizes `read`'s optional argument: an integer (negative reads everything), default 0. */
export function normalizeAfterSeq(afterSeq: number | undefined): number {
  if (afterSeq === undefined) return 0;
  if (typeof afterSeq !== 'number' || !Number.isSafeInteger(afterSeq)) {
    throw new JournalRecordError(`read(afterSeq): expected a safe integer, got ${String(afterSeq)}`);
  }
  return afterSeq < 0 ? 0 : afterSeq;
}
