/**
 * Full re-marks of the risk book on every core: worker threads re-mark scope ranges of the
 * book's SharedArrayBuffer columns in place (RiskBook with `shared: true`), with the same
 * arithmetic as `RiskBook.remarkAll` (./remark-kernel.ts), so equity and MM are bit-identical
 * for any number of threads (property-tested in ./parallel-remark.test.ts).
 *
 * Why `node:worker_threads` directly and not piscina: the book's re-mark is a synchronous call
 * of tens of milliseconds whose callers (a tick, a rebase) are synchronous too. Piscina hands
 * out tasks through messages and promises — an event-loop turn and a message per task per
 * thread, and an async API. Here the workers park on `Atomics.wait` over a small shared control
 * block; a re-mark is one counter bump and `Atomics.notify`, the calling thread re-marks its own
 * range, then blocks on `Atomics.wait` until every worker has counted itself done. New column
 * buffers (the book grew) travel once over a MessagePort that the worker drains synchronously
 * (`receiveMessageOnPort`). That is ~100 lines over the standard library, no dependency.
 *
 * Each thread owns a contiguous scope range; a market's slots for that range are found by
 * binary search when the slots are in scope order (as `fromState` lays them out), otherwise
 * each thread scans the market's scope column and skips other ranges' slots (correct, reads more).
 *
 * @example
 * const index = new LiquidationBoundIndex(engine, { shared: true });
 * const remark = await ParallelRemark.start(); // one thread per core
 * remark.remarkAll(index.book, engine.state); // = index.book.remarkAll(engine.state), bit for bit
 * await remark.close();
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { type RemarkColumns, remarkScopes } from './remark-kernel.ts';
import type { RiskBook } from './riskbook.ts';

/** Control block slots (Int32Array over a SharedArrayBuffer). */
export const GEN = 0;
export const DONE = 1;
export const VERSION = 2;
export const STOP = 3;

/** The column buffers a worker needs, sent when they change. */
export interface RemarkBuffers {
  version: number;
  settle: Float64Array;
  equity: Float64Array;
  mm: Float64Array;
  assets: Float64Array[];
  markets: {
    scope: Int32Array;
    size: Float64Array;
    entry: Float64Array;
    ratio: Float64Array;
    cap: Float64Array;
  }[];
  /** [n, then per market: count, mark, priceIndependent, sorted, then per asset: price, used]. */
  params: Float64Array;
}

/** Scope range of thread t of `threads` over n scopes. */
export function rangeOf(n: number, t: number, threads: number): [number, number] {
  return [Math.floor((n * t) / threads), Math.floor((n * (t + 1)) / threads)];
}

/** Fills the per-remark parameters from the columns (counts, marks, prices, flags). */
export function writeParams(c: RemarkColumns, params: Float64Array): void {
  params[0] = c.n;
  let k = 1;
  for (const m of c.markets) {
    params[k++] = m.count;
    params[k++] = m.mark;
    params[k++] = m.priceIndependent ? 1 : 0;
    params[k++] = m.sorted ? 1 : 0;
  }
  for (const a of c.assets) {
    params[k++] = a.price;
    params[k++] = a.used ? 1 : 0;
  }
}

/** The columns as a worker sees them: its buffers plus the parameters of this re-mark. */
export function columnsFrom(b: RemarkBuffers): RemarkColumns {
  const p = b.params;
  let k = 1;
  const markets = b.markets.map((m) => {
    const count = p[k++]!;
    const mark = p[k++]!;
    const priceIndependent = p[k++] === 1;
    const sorted = p[k++] === 1;
    return { ...m, count, mark, priceIndependent, sorted };
  });
  const assets = b.assets.map((weighted) => {
    const price = p[k++]!;
    const used = p[k++] === 1;
    return { weighted, price, used };
  });
  return { n: p[0]!, settle: b.settle, equity: b.equity, mm: b.mm, assets, markets };
}

function newWorker(workerData: unknown, transferList: MessagePort[]): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './remark-worker.ts' : './remark-worker.js', import.meta.url);
  if (!ts) return new Worker(url, { workerData, transferList });
  // From the .ts sources (tsx, vitest): register tsx's loader in the thread, then import the entry.
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData, transferList });
}

export class ParallelRemark {
  private version = 0;
  private sent: readonly ArrayBufferView[] = [];
  private params = new Float64Array(new SharedArrayBuffer(8));
  private closed = false;

  private constructor(
    readonly threads: number,
    private readonly control: Int32Array,
    private readonly workers: Worker[],
    private readonly ports: MessagePort[],
  ) {}

  /**
   * Starts `threads − 1` workers (the calling thread is the first range). Default: one thread
   * per core (`os.availableParallelism()`). One pool serves any number of books.
   */
  static async start(threads = availableParallelism()): Promise<ParallelRemark> {
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`threads ${threads} must be a positive integer`);
    const control = new Int32Array(new SharedArrayBuffer(16 * 4));
    const workers: Worker[] = [];
    const ports: MessagePort[] = [];
    const ready: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const w = newWorker({ control, port: port2, index: t, threads }, [port2]);
      ready.push(
        new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
      );
      workers.push(w);
      ports.push(port1);
    }
    await Promise.all(ready);
    // Parked workers must not keep the process alive (unref only now: while they start, the
    // promise above is all that keeps a top-level await's event loop going).
    for (const w of workers) w.unref();
    return new ParallelRemark(threads, control, workers, ports);
  }

  /**
   * `book.remarkAll(state)` split over the threads (a book built with `shared: true`); returns
   * when every range is done.
   */
  remarkAll(book: RiskBook, state: ReadonlyEngineState): void {
    if (this.closed) throw new Error('parallel re-mark: closed');
    const c = book.remarkColumns(state);
    const views: ArrayBufferView[] = [c.settle, c.equity, c.mm];
    for (const a of c.assets) views.push(a.weighted);
    for (const m of c.markets) views.push(m.scope, m.size, m.entry, m.ratio, m.cap);
    const need = 1 + 4 * c.markets.length + 2 * c.assets.length;
    if (this.workers.length > 0) {
      if (!book.shared || views.some((v) => !(v.buffer instanceof SharedArrayBuffer)))
        throw new Error('parallel re-mark: the book was not built with shared: true');
      if (
        views.length !== this.sent.length ||
        views.some((v, i) => v !== this.sent[i]) ||
        this.params.length < need
      ) {
        if (this.params.length < need) this.params = new Float64Array(new SharedArrayBuffer(need * 8));
        const buffers: RemarkBuffers = {
          version: ++this.version,
          settle: c.settle,
          equity: c.equity,
          mm: c.mm,
          assets: c.assets.map((a) => a.weighted),
          markets: c.markets.map((m) => ({
            scope: m.scope,
            size: m.size,
            entry: m.entry,
            ratio: m.ratio,
            cap: m.cap,
          })),
          params: this.params,
        };
        for (const p of this.ports) p.postMessage(buffers);
        Atomics.store(this.control, VERSION, this.version);
        this.sent = views;
      }
      writeParams(c, this.params);
      Atomics.store(this.control, DONE, 0);
      Atomics.add(this.control, GEN, 1);
      Atomics.notify(this.control, GEN);
    }
    const [lo, hi] = rangeOf(c.n, 0, this.threads);
    remarkScopes(c, lo, hi);
    const want = this.workers.length;
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done >= want) break;
      Atomics.wait(this.control, DONE, done, 10_000);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.ports) p.close();
  }
}
