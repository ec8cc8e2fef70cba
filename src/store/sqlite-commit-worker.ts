/**
 * Commits journal groups on a worker thread (node:worker_threads) with its own better-sqlite3
 * connection, so the commit — the B-tree insert, the WAL write and, with `durable`, the fsync —
 * runs while the main thread executes the next group's commands. better-sqlite3 is synchronous:
 * on the main thread every commit stopped the engine for its whole duration.
 *
 * The main thread encodes the group as the engine appends it (batch-codec.ts BatchEncoder) and
 * hands it over as a small header plus the records buffer, without copying (the buffer's
 * ArrayBuffer is transferred); the worker joins and deflates them (off the engine's thread),
 * writes the blob in ONE IMMEDIATE transaction after checking that it continues the journal, then
 * answers — and hands the records buffer back, so the next group is encoded into memory that is
 * already mapped instead of a fresh allocation per group. A write is acknowledged only after
 * SQLite's COMMIT returned, and a failed write rolls back entirely, exactly as on the main thread;
 * when the worker itself dies, every write not yet answered fails (its outcome is then decided
 * by reading the journal back, as after a lost commit answer).
 *
 * The worker's code is the small plain-JavaScript string below, evaluated by `new Worker(…,
 * { eval: true })`, rather than a module file: it then runs the same under tsx, vitest and the
 * compiled package, without a loader or a build step for the worker. It uses only better-sqlite3,
 * whose resolved path the main thread passes in.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { COMPRESS_MIN_BYTES } from './batch-codec.ts';
import { JournalClosedError, JournalSequenceError, type StoredSnapshot } from './journal.ts';

export interface CommitWorkerOptions {
  /** `synchronous = FULL` (fsync per commit) when true, else NORMAL. */
  readonly durable: boolean;
  readonly busyTimeoutMs: number;
}

/** A write the worker refused or failed: the error it raised, by name and message. */
export class CommitWorkerError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    /** SQLite's error code (SQLITE_FULL, SQLITE_BUSY …) when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly expected?: number;
  readonly actual?: number;
  /** The records buffer of a write, handed back for reuse. */
  readonly spare?: ArrayBuffer;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { deflateRawSync } = require('node:zlib');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { fileMustExist: true });
db.defaultSafeIntegers(true);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
db.pragma('synchronous = ' + (workerData.durable ? 'FULL' : 'NORMAL'));
const lastSeq = db.prepare(\`SELECT MAX(m) FROM (SELECT MAX(seq) AS m FROM events
  UNION ALL SELECT last_seq FROM (SELECT last_seq FROM batches ORDER BY first_seq DESC LIMIT 1))\`).pluck();
const insert = db.prepare('INSERT INTO batches (first_seq, last_seq, data) VALUES (?, ?, ?)');
const snapshot = db.prepare(
  'INSERT INTO snapshots (seq, json) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET json = excluded.json');
class SeqError extends Error {}
// tests: end the thread right after the next commit, before answering (a crash between the
// durable write and its acknowledgement)
let crashAfterCommit = false;
// batch-codec.ts compressBatch, here in the worker's thread: a large format-1 blob is stored
// deflated (format 2) when that makes it smaller
function compress(blob) {
  if (blob.length < workerData.compressMin || blob[0] !== 1) return blob;
  const z = deflateRawSync(blob, { level: 1 });
  return z.length + 1 >= blob.length ? blob : Buffer.concat([Buffer.from([2]), z]);
}
const write = db.transaction((m) => {
  const last = Number(lastSeq.get() ?? 0n);
  if (m.firstSeq !== last + 1) {
    const e = new SeqError('batch does not continue the journal');
    e.expected = last + 1;
    throw e;
  }
  if (m.count > 0) insert.run(BigInt(m.firstSeq), BigInt(m.firstSeq + m.count - 1), m.data);
  for (const s of m.snapshots) snapshot.run(BigInt(s.seq), s.json);
});
parentPort.on('message', (m) => {
  if (m.close) {
    db.close();
    parentPort.postMessage({ id: m.id, ok: true });
    parentPort.close();
    return;
  }
  if (m.crashAfterCommit) {
    crashAfterCommit = true;
    return;
  }
  try {
    const header = Buffer.from(m.header.buffer, m.header.byteOffset, m.header.byteLength);
    const records = Buffer.from(m.records.buffer, m.records.byteOffset, m.records.byteLength);
    const data = m.count > 0 ? compress(Buffer.concat([header, records])) : Buffer.alloc(0);
    write.immediate({ ...m, data });
    if (crashAfterCommit) process.exit(70);
    if (m.transferred) parentPort.postMessage({ id: m.id, ok: true, spare: m.records.buffer }, [m.records.buffer]);
    else parentPort.postMessage({ id: m.id, ok: true });
  } catch (err) {
    parentPort.postMessage({
      id: m.id,
      ok: false,
      name: err instanceof SeqError ? 'JournalSequenceError' : String(err && err.name),
      message: String(err && err.message),
      code: err && typeof err.code === 'string' ? err.code : undefined,
      expected: err && err.expected,
      actual: m.firstSeq,
    });
  }
});
`;

export class SqliteCommitWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (spare?: Buffer) => void; reject: (e: unknown) => void }
  >();
  private nextId = 1;
  /** Set once the worker is gone (crashed, exited, closed): every later write fails with it. */
  private dead: Error | undefined;

  constructor(path: string, options: CommitWorkerOptions) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        sqlite,
        path,
        durable: options.durable,
        busyTimeoutMs: options.busyTimeoutMs,
        compressMin: COMPRESS_MIN_BYTES,
      },
    });
    this.worker.on('message', (r: Reply) => this.answer(r));
    this.worker.on('error', (err) => this.die(err));
    this.worker.on('exit', (code) => this.die(new Error(`journal commit worker exited (code ${code})`)));
    // an idle worker does not keep the process alive (a journal left open must not hang exit);
    // while a write is outstanding it does, so its answer is awaited
    this.worker.unref();
  }

  /**
   * Writes the events `firstSeq … firstSeq + count − 1` — their batch blob is
   * `header ++ records` (BatchEncoder.finish; both empty when count is 0) — and the snapshots in
   * one transaction. with `transfer`, `records`' ArrayBuffer is moved to the worker: do not use it
   * afterwards. Resolves after COMMIT returned in the worker (with the records buffer handed
   * back for reuse, when it was transferred), rejects when it did not (nothing of the group was
   * written, unless the worker died after its commit: then read the journal back to know).
   */
  write(
    firstSeq: number,
    count: number,
    header: Buffer,
    records: Buffer,
    snapshots: readonly StoredSnapshot[],
    /** Transfer `records`' ArrayBuffer: true only when it holds nothing but `records`' bytes (and spare room). */
    transfer = false,
  ): Promise<Buffer | undefined> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<Buffer | undefined>((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      const msg = {
        id,
        firstSeq,
        count,
        header,
        records,
        transferred: transfer,
        snapshots: snapshots.map((s) => ({ seq: s.seq, json: s.json })),
      };
      this.worker.postMessage(msg, transfer ? [records.buffer as ArrayBuffer] : []);
    });
  }

  /** Tests: the worker ends its thread right after its next commit, before answering it. */
  crashAfterNextCommit(): void {
    this.worker.postMessage({ crashAfterCommit: true });
  }

  /** Closes the worker's connection after the writes already sent, then ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    const id = this.nextId++;
    if (this.waiting.size === 0) this.worker.ref();
    const done = new Promise<void>((resolve, reject) =>
      this.waiting.set(id, { resolve: () => resolve(), reject }),
    );
    this.worker.postMessage({ id, close: true });
    try {
      await done;
    } catch {
      // the worker died meanwhile: its connection is gone either way
    }
    this.dead = new JournalClosedError();
    await this.worker.terminate();
  }

  /** Ends the thread at once, as a crash would (tests: a worker dying mid-group). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  private answer(r: Reply): void {
    const w = this.waiting.get(r.id);
    if (!w) return;
    this.waiting.delete(r.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (r.ok) w.resolve(r.spare ? Buffer.from(r.spare) : undefined);
    else if (r.name === 'JournalSequenceError')
      w.reject(new JournalSequenceError(r.expected ?? 0, r.actual, r.message ?? 'sequence error'));
    else w.reject(new CommitWorkerError(r.name ?? 'Error', r.message ?? 'journal commit failed', r.code));
  }

  private die(err: Error): void {
    this.dead ??= err;
    for (const w of this.waiting.values()) w.reject(this.dead);
    this.waiting.clear();
  }
}
