/**
 * Bench block h: a million accounts × 4 positions (quick mode: 20,000).
 *
 * - open: the population's engine snapshot (bench/million-population.ts: built once through the
 *   engine, cached in the OS temp dir) → Engine.open → LiquidationBoundIndex (risk book +
 *   critical moves). Timed from the snapshot text in memory to a ready index.
 * - memory: RSS and heap after open, with the snapshot text dropped, a full GC and the RSS settled
 *   (V8 hands freed pages back on a background thread); also the peak RSS.
 * - ticks: a 1 % fall of every mark, a 5 % fall, and a crash (block d's: M0 −18 %, M1 +12 %,
 *   M2 −12 %, ETH −10 %), each from the baseline; the index's answer is checked equal to the
 *   exact scan (engine.liquidatable()) before it is timed; the tick is warmed up first at other
 *   prices (three moves, three ticks each, untimed), as it is in a venue that ticks all day.
 * - full re-mark: RiskBook.remarkAll, bytes read and written per second, against a streaming
 *   read measured in the same run (`streamReference`); then the same re-mark on every core
 *   (ParallelRemark), checked bit-identical to the one-thread result.
 *
 * Full mode: ~15 min the first time on a busy 2-core machine (building 1M accounts through
 * the engine), then ~2–4 min from the cached snapshot (dominated by the exact scans that check
 * every answer). Needs ~5 GB of heap: bench/run.ts is started with --max-old-space-size=8192 by
 * `npm run bench`; `PLIMSOLL_BENCH_REBUILD=1` rebuilds the cache.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine, type JournalPort } from '../src/core/engine/engine.ts';
import { LiquidationBoundIndex } from '../src/riskbook/index.ts';
import { ParallelRemark } from '../src/riskbook/parallel-remark.ts';
import { figure } from './figures.ts';
import { cachedPopulation } from './million-population.ts';
import { fmtNs, stats, timeEach } from './support.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Streaming read reference: the sum of a Float64Array larger than the last-level cache with
 * eight independent accumulators (one dependency chain per accumulator, so the loop is bound by
 * memory, not by the latency of floating-point adds). Returns bytes read per second (median).
 */
export function streamReference(
  bytes: number,
  runs: number,
): { bytesPerSecond: number; bytes: number; medianNs: number } {
  const n = Math.floor(bytes / 64) * 8;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = i & 1023;
  let sink = 0;
  const once = () => {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let i = 0; i < n; i += 8) {
      s0 += a[i]!;
      s1 += a[i + 1]!;
      s2 += a[i + 2]!;
      s3 += a[i + 3]!;
      s4 += a[i + 4]!;
      s5 += a[i + 5]!;
      s6 += a[i + 6]!;
      s7 += a[i + 7]!;
    }
    sink += s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
  };
  for (let i = 0; i < 3; i++) once();
  const ns = stats(timeEach(runs, once));
  if (sink === -1) throw new Error('unreachable');
  return { bytesPerSecond: (n * 8) / (ns.median / 1e9), bytes: n * 8, medianNs: ns.median };
}

/** Bytes of the streaming reference: well above any last-level cache this bench reports on. */
export const STREAM_REF_BYTES = 1 << 30;

/**
 * Resident memory once it has settled, MiB: V8 returns the pages a full GC freed to the system
 * on a background thread (at a million accounts ~250 MiB, 0.1–0.5 s after the GC), so the RSS
 * read right after it still counts memory the process is giving back. Polled every 100 ms, each
 * after a full GC, until two readings agree within 1 MiB (at most 5 s).
 */
async function settledRssMb(): Promise<number> {
  let last = process.memoryUsage().rss;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc(); // a shared buffer the index build let go of is freed only when a collection finds it
    const now = process.memoryUsage().rss;
    if (Math.abs(now - last) < 2 ** 20) return now / 2 ** 20;
    last = now;
  }
  return last / 2 ** 20;
}

/** The warm-up ticks' prices (marks, ETH): other moves than the timed scenarios', mixed ones too. */
const WARM_UP_TICKS: [Record<string, string>, string][] = [
  [{ M0: '97', M1: '97', M2: '97', M3: '97' }, '3000'],
  [{ M0: '94', M1: '94', M2: '94', M3: '94' }, '3000'],
  [{ M0: '85', M1: '110', M2: '90', M3: '100' }, '2800'],
];

/** A journal port that holds one snapshot and keeps later events in memory (the bench's ticks). */
function snapshotPort(json: string): JournalPort & { drop(): void } {
  const m = /"seq":(\d+)/.exec(json.slice(0, 1_000_000));
  if (!m) throw new Error('snapshot without a seq');
  const seq = Number(m[1]);
  let text: string | undefined = json;
  let last = seq;
  const events: { seq: number; type: string; json: string }[] = [];
  return {
    append(batch) {
      for (const e of batch) events.push(e);
      last = batch[batch.length - 1]?.seq ?? last;
    },
    lastSeq: () => last,
    saveSnapshot() {},
    latestSnapshot: () => (text === undefined ? undefined : { seq, json: text }),
    read: (after = 0) => events.filter((e) => e.seq > after)[Symbol.iterator](),
    drop() {
      text = undefined;
    },
  };
}

export interface MillionResult {
  accounts: number;
  scopes: number;
  slots: number;
  openSeconds: number;
  decodeSeconds: number;
  indexSeconds: number;
  rssMb: number;
  peakRssMb: number;
  heapMb: number;
  ticks: { label: string; ms: number; liquidatable: number; examined: number; exactScanMs: number }[];
  rebaseMs: number;
  remarkMs: number;
  remarkBytesPerSecond: number;
  streamBytesPerSecond: number;
  ratio: number;
  /** The same full re-mark on `remarkThreads` threads (ParallelRemark: workers over shared columns). */
  remarkThreads: number;
  remarkThreadsMs: number;
  remarkThreadsBytesPerSecond: number;
  ratioThreads: number;
}

export async function benchMillion(o: { quick: boolean; log: (s: string) => void }): Promise<MillionResult> {
  const log = o.log;
  const accounts = o.quick ? 20_000 : 1_000_000;
  const tag = o.quick ? '20k' : '1m';
  log(
    `== h) ${accounts.toLocaleString('en-US')} accounts × 4 positions: open from a snapshot, ticks, full re-mark`,
  );
  const pop = cachedPopulation(accounts, log);
  log(
    pop.fromCache
      ? `   snapshot ${(pop.json.length / 1e6).toFixed(0)} MB read from the cache (${pop.path}) in ${pop.readSeconds.toFixed(1)} s`
      : `   snapshot ${(pop.json.length / 1e6).toFixed(0)} MB written to ${pop.path}`,
  );
  const port = snapshotPort(pop.json);
  pop.json = '';
  gc();
  // CPU time next to wall time: on a shared machine the wall clock also counts other processes.
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const engine = Engine.open(port);
  const t1 = performance.now();
  // Heap of the engine state alone (the snapshot text is still held by the port): not timed.
  port.drop();
  gc();
  const stateHeapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const t1b = performance.now();
  // shared: the risk book's columns on SharedArrayBuffers, for the worker re-mark below
  const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0, shared: true });
  const t2 = performance.now();
  const openSeconds = (t1 - t0 + (t2 - t1b)) / 1000;
  const cpu = process.cpuUsage(c0);
  const openCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const book = index.book;
  log(
    `   open: Engine.open ${((t1 - t0) / 1000).toFixed(2)} s + index (risk book, critical moves) ${((t2 - t1b) / 1000).toFixed(2)} s = ${openSeconds.toFixed(2)} s wall (process CPU time ${openCpuSeconds.toFixed(1)} s, GC threads included); ${engine.state.subaccounts.size} subaccounts, ${book.scopeCount} scopes, ${book.slotCount} slots`,
  );
  gc();
  const rssAfterGcMb = process.memoryUsage().rss / 2 ** 20;
  const rssMb = await settledRssMb();
  const mem = process.memoryUsage();
  const heapMb = mem.heapUsed / 2 ** 20;
  // The process's high-water mark: reading and parsing the snapshot text (and building the
  // population, when this run built it) included.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  log(
    `   memory after open + GC: RSS ${rssMb.toFixed(0)} MiB once settled (${rssAfterGcMb.toFixed(0)} MiB right after the GC, before V8 returned the freed pages; peak ${peakRssMb.toFixed(0)} MiB), heap used ${heapMb.toFixed(0)} MiB (engine state alone ${stateHeapMb.toFixed(0)} MiB), typed arrays ${(mem.arrayBuffers / 2 ** 20).toFixed(0)} MiB`,
  );

  const ticks: MillionResult['ticks'] = [];
  let time = 1_000_000;
  const scenario = (label: string, marks: Record<string, string>, assets: Record<string, string>) => {
    engine.executeOrThrow({ type: 'prices', timeMs: time++, marks, assets });
    const e0 = performance.now();
    const exact = engine.liquidatable();
    const exactScanMs = performance.now() - e0;
    const fast = index.liquidatable(engine.state);
    if (JSON.stringify(fast) !== JSON.stringify(exact))
      throw new Error(
        `${label}: bound index (${fast.length}) disagrees with the exact scan (${exact.length})`,
      );
    const examined = index.stats.examined;
    const runs = o.quick ? 20 : 7;
    const cpu0 = process.cpuUsage();
    const ns = stats(timeEach(runs, () => index.liquidatable(engine.state)));
    const cpu1 = process.cpuUsage(cpu0);
    const cpuMs = (cpu1.user + cpu1.system) / 1e3 / runs;
    const ms = ns.median / 1e6;
    log(
      `   ${label}: ${exact.length} liquidatable (= exact scan, ${exactScanMs.toFixed(0)} ms); index tick ${fmtNs(ns.median)} (mean CPU ${cpuMs.toFixed(2)} ms; walked ${examined} scopes' linear bounds, re-screened ${index.stats.screened}, confirmed ${index.stats.confirmed} exactly, ${index.stats.decidedFromRows} of them from their rows)`,
    );
    ticks.push({ label, ms, liquidatable: exact.length, examined, exactScanMs });
    return { ms, liquidatable: exact.length };
  };
  const all = (px: string) => ({ M0: px, M1: px, M2: px, M3: px });
  // Untimed warm-up of the tick: V8 optimizes its loops only after a few calls, and the first
  // ticks at this size ran 2–9× slower in unoptimized code (allocating a boxed number per
  // float operation); a running venue ticks on every price update. At other prices than the
  // timed scenarios', so the timed ticks compute nothing a warm-up computed.
  for (const [marks, eth] of WARM_UP_TICKS) {
    engine.executeOrThrow({ type: 'prices', timeMs: time++, marks, assets: { ETH: eth } });
    for (let i = 0; i < 3; i++) index.liquidatable(engine.state);
  }
  const one = scenario('1% fall of every mark', all('99'), { ETH: '3000' });
  const five = scenario('5% fall of every mark', all('95'), { ETH: '3000' });
  const crash = scenario(
    'crash (M0 -18%, M1 +12%, M2 -12%, ETH -10%)',
    { M0: '82', M1: '112', M2: '88', M3: '100' },
    { ETH: '2700' },
  );

  const r0 = performance.now();
  index.rebase();
  const rebaseMs = performance.now() - r0;
  log(`   rebase (remarkAll + every critical move + buckets): ${rebaseMs.toFixed(0)} ms`);

  // Full re-mark vs the streaming reference.
  const state = engine.state;
  for (let i = 0; i < 3; i++) book.remarkAll(state);
  const remarkNs = stats(timeEach(o.quick ? 50 : 15, () => book.remarkAll(state)));
  const traffic = book.remarkTraffic();
  const remarkBytes = traffic.readBytes + traffic.writtenBytes;
  const remarkBytesPerSecond = remarkBytes / (remarkNs.median / 1e9);
  const refBytes = o.quick ? 64 << 20 : STREAM_REF_BYTES;
  const ref = streamReference(refBytes, o.quick ? 10 : 7);
  const ratio = remarkBytesPerSecond / ref.bytesPerSecond;
  log(
    `   remarkAll: median ${fmtNs(remarkNs.median)}; reads ${(traffic.readBytes / 1e6).toFixed(0)} MB + writes ${(traffic.writtenBytes / 1e6).toFixed(0)} MB → ${(remarkBytesPerSecond / 1e9).toFixed(2)} GB/s`,
  );
  log(
    `   streaming reference (${(ref.bytes / 2 ** 20).toFixed(0)} MiB, 8 accumulators): ${(ref.bytesPerSecond / 1e9).toFixed(2)} GB/s → ratio ${ratio.toFixed(2)}`,
  );
  // The same re-mark on every core: worker threads over the book's shared columns, checked
  // bit-identical to the one-thread result before it is timed.
  const pool = await ParallelRemark.start();
  book.remarkAll(state);
  const cols = book.figureColumns();
  const want = { equity: Buffer.from(cols.equity.slice().buffer), mm: Buffer.from(cols.mm.slice().buffer) };
  cols.equity.fill(Number.NaN);
  pool.remarkAll(book, state);
  const got = book.figureColumns();
  if (
    !Buffer.from(got.equity.slice().buffer).equals(want.equity) ||
    !Buffer.from(got.mm.slice().buffer).equals(want.mm)
  )
    throw new Error('parallel re-mark differs from remarkAll');
  for (let i = 0; i < 3; i++) pool.remarkAll(book, state);
  const threadsNs = stats(timeEach(o.quick ? 50 : 15, () => pool.remarkAll(book, state)));
  await pool.close();
  const remarkThreadsBytesPerSecond = remarkBytes / (threadsNs.median / 1e9);
  const ratioThreads = remarkThreadsBytesPerSecond / ref.bytesPerSecond;
  log(
    `   remarkAll on ${pool.threads} threads (ParallelRemark, bit-identical): median ${fmtNs(threadsNs.median)} → ${(remarkThreadsBytesPerSecond / 1e9).toFixed(2)} GB/s, ratio ${ratioThreads.toFixed(2)}`,
  );

  figure(
    `open_${tag}_s`,
    openSeconds,
    's',
    'Engine.open from the compact snapshot text in memory (decode, state) + LiquidationBoundIndex construction (RiskBook.fromState, critical moves, buckets); not the file read',
  );
  figure(
    `rss_${tag}_mb`,
    rssMb,
    'MiB',
    'process RSS after open and a full GC, once settled (V8 has returned the freed pages): engine state + risk book + index, snapshot text dropped',
  );
  figure(
    `rss_peak_${tag}_mb`,
    peakRssMb,
    'MiB',
    "the process's peak RSS up to that point: the snapshot text read and parsed (and the population built, when not cached)",
  );
  figure(
    `tick_1pct_${tag}_ms`,
    one.ms,
    'ms',
    'LiquidationBoundIndex.liquidatable() after every mark fell 1% from the baseline: read marks, walk scopes with critical move ≤ 1%, float re-screen, exact confirmation',
  );
  figure(`tick_5pct_${tag}_ms`, five.ms, 'ms', 'same after a 5% fall of every mark');
  figure(
    `crash_tick_${tag}_ms`,
    crash.ms,
    'ms',
    "same after block d's crash (M0 −18%, M1 +12%, M2 −12%, ETH −10%), exact confirmation of every liquidatable scope included",
  );
  figure(
    'crash_tick_liquidatable',
    crash.liquidatable,
    'scopes',
    'exactly liquidatable scopes after the crash (equal to engine.liquidatable())',
  );
  figure(
    `rebase_${tag}_ms`,
    rebaseMs,
    'ms',
    'LiquidationBoundIndex.rebase(): remarkAll + every critical move + bucket rebuild',
  );
  figure(
    `remark_${tag}_ms`,
    remarkNs.median / 1e6,
    'ms',
    'RiskBook.remarkAll over every scope and slot, one thread',
  );
  figure(
    'remark_bytes_per_s',
    remarkBytesPerSecond,
    'B/s',
    'bytes remarkAll reads and writes (RiskBook.remarkTraffic) / its median time',
  );
  figure(
    'stream_ref_bytes_per_s',
    ref.bytesPerSecond,
    'B/s',
    `sum of a ${(ref.bytes / 2 ** 20).toFixed(0)} MiB Float64Array with 8 accumulators, same run`,
  );
  figure('remark_bandwidth_ratio', ratio, 'ratio', 'remark_bytes_per_s / stream_ref_bytes_per_s');
  figure(
    'remark_threads',
    pool.threads,
    'threads',
    'threads of the parallel re-mark (os.availableParallelism(): every core)',
  );
  figure(
    `remark_${tag}_ms_threads`,
    threadsNs.median / 1e6,
    'ms',
    'the same full re-mark split by scope range over remark_threads threads (ParallelRemark: calling thread + workers over SharedArrayBuffer columns, Atomics hand-off included); result bit-identical to one thread',
  );
  figure(
    'remark_bytes_per_s_threads',
    remarkThreadsBytesPerSecond,
    'B/s',
    'the same byte count as remark_bytes_per_s / the parallel median',
  );
  figure(
    'remark_bandwidth_ratio_threads',
    ratioThreads,
    'ratio',
    'remark_bytes_per_s_threads / stream_ref_bytes_per_s (the reference is one thread)',
  );
  return {
    accounts,
    scopes: book.scopeCount,
    slots: book.slotCount,
    openSeconds,
    decodeSeconds: (t1 - t0) / 1000,
    indexSeconds: (t2 - t1b) / 1000,
    rssMb,
    peakRssMb,
    heapMb,
    ticks,
    rebaseMs,
    remarkMs: remarkNs.median / 1e6,
    remarkBytesPerSecond,
    streamBytesPerSecond: ref.bytesPerSecond,
    ratio,
    remarkThreads: pool.threads,
    remarkThreadsMs: threadsNs.median / 1e6,
    remarkThreadsBytesPerSecond,
    ratioThreads,
  };
}
