/**
 * Bench block c's durable fill run (bench/run.ts), in its own module so that
 * bench/durable-cost.ts measures and profiles exactly what the block times.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/core/engine/engine.ts';
import { CommitPipeline, type EngineOpener } from '../src/server/commit-pipeline.ts';
import { DeferredSqliteJournal } from '../src/store/deferred-sqlite-journal.ts';
import { BASE_MARK, benchConfig, preTradeBook } from './support.ts';

/** CPU time this thread has run, in ms (Linux: the scheduler's own count), else undefined. */
export function threadCpuMs(): number | undefined {
  return schedstat()?.[0];
}

/** This thread's [ms on a CPU, ms runnable but waiting for one] (Linux), else undefined. */
function schedstat(): [number, number] | undefined {
  try {
    const f = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return [Number(f[0]) / 1e6, Number(f[1]) / 1e6];
  } catch {
    return undefined;
  }
}

/** CPU time of the whole process (every thread: engine, commit worker, V8's GC helpers), in ms. */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Durable accepted fills: a driver keeps `inFlight` fills submitted to the commit pipeline
 * (src/server/commit-pipeline.ts) over the group-commit SQLite journal with synchronous = FULL;
 * each fill is acknowledged (its promise resolves) only after the transaction holding its
 * events committed. Timed: from the first submit until the last acknowledgement, after an
 * untimed warm-up of as many fills (at most 20,000) through the same pipeline.
 */
/** The code under test: this checkout's by default, another checkout's for an A/B run (bench/durable-cost.ts). */
export interface DurableCode {
  readonly Engine: typeof Engine;
  readonly CommitPipeline: typeof CommitPipeline;
  readonly DeferredSqliteJournal: typeof DeferredSqliteJournal;
}

/**
 * Block c's durable setup on the journal file `path`: the commit pipeline over `code`'s engine and
 * group-commit SQLite journal (synchronous = FULL), block a's book (prices, the trader's and the
 * maker's positions and orders), and `drive(count)`: `inFlight` clients, each submitting its next
 * 0.002 M0 fill (alternately selling and buying it back) once the previous one is acknowledged.
 * Shared with bench/durable-ab.ts, which runs two checkouts' code side by side.
 */
export async function durableSetup(code: DurableCode, path: string, inFlight: number) {
  const { Engine, CommitPipeline, DeferredSqliteJournal } = code;
  const opener: EngineOpener = async () => {
    const journal = DeferredSqliteJournal.open(path, { durable: true });
    if (journal.lastSeq() > 0) return { journal, engine: Engine.open(journal) };
    return { journal, engine: Engine.create(benchConfig(10), { journal }) };
  };
  const pipeline = await CommitPipeline.start(opener);
  const trader = { account: 'trader' };
  const maker = { account: 'maker' };
  const marks = Object.fromEntries(Array.from({ length: 10 }, (_, m) => [`M${m}`, String(BASE_MARK)]));
  const setup = [
    { type: 'prices', timeMs: 1, marks, assets: { ETH: '3000' } },
    ...preTradeBook(trader, maker),
  ];
  for (const c of setup) {
    const r = await pipeline.submit(c);
    if (!r.ok) throw new Error(`setup rejected: ${r.rejection.code}`);
  }
  const sell = { type: 'fill', market: 'M0', buyer: maker, seller: trader, size: '0.002', price: '100' };
  const buy = { type: 'fill', market: 'M0', buyer: trader, seller: maker, size: '0.002', price: '100' };
  const drive = async (count: number) => {
    let next = 0;
    const client = async () => {
      while (next < count) {
        const r = await pipeline.submit(next++ % 2 === 0 ? sell : buy);
        if (!r.ok) throw new Error(`fill rejected: ${r.rejection.code}`);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, client));
  };
  return { pipeline, drive };
}

export async function durableFills(
  fills: number,
  inFlight: number,
  code: DurableCode = { Engine, CommitPipeline, DeferredSqliteJournal },
) {
  const { DeferredSqliteJournal } = code;
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-bench-durable-'));
  try {
    const { pipeline, drive } = await durableSetup(code, join(dir, 'journal.sqlite'), inFlight);
    // Warm-up to steady state, untimed, through the same pipeline (as block a's: V8 optimizes the
    // fill only after a few thousand calls); an even count leaves the positions as they were.
    await drive(2 * Math.floor(Math.min(20_000, fills) / 2));
    const groupsBefore = pipeline.stats().groups;
    // how busy the main thread (the engine) was: near 1, execution limits the rate, not the commit
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = schedstat();
    const all0 = processCpuMs();
    const t0 = performance.now();
    await drive(fills);
    const seconds = (performance.now() - t0) / 1000;
    const mainBusy = performance.eventLoopUtilization(elu0).utilization;
    const cpu1 = schedstat();
    const allCpuUsPerFill = ((processCpuMs() - all0) * 1000) / fills;
    const mainCpuUsPerFill =
      cpu0 !== undefined && cpu1 !== undefined ? ((cpu1[0] - cpu0[0]) * 1000) / fills : undefined;
    // time the engine thread was ready to run but another thread (ours or another process's) had the CPU
    const mainWaitUsPerFill =
      cpu0 !== undefined && cpu1 !== undefined ? ((cpu1[1] - cpu0[1]) * 1000) / fills : undefined;
    const groups = pipeline.stats().groups - groupsBefore;
    const sync =
      pipeline.journal instanceof DeferredSqliteJournal ? pipeline.journal.info().synchronous : '?';
    const inWorker = pipeline.journal instanceof DeferredSqliteJournal && pipeline.journal.commitsInWorker;
    await pipeline.close();
    return {
      fills,
      seconds,
      perSecond: fills / seconds,
      groups,
      synchronous: sync,
      worker: inWorker,
      mainBusy,
      mainCpuUsPerFill,
      mainWaitUsPerFill,
      allCpuUsPerFill,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
