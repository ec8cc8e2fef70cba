/**
 * What one in-memory fill and one pre-trade check cost, in the measures the machine's load
 * moves least: process CPU time per call (`process.cpuUsage`, user + system of this process)
 * and bytes allocated per call (heap growth over short batches that start right after a full
 * GC, so no collection runs inside a batch; for a fill it includes the journal text the
 * in-memory journal keeps). Wall-clock median and p99 are printed too, for the record.
 *
 * The setup is bench block a's (bench/run.ts preTrade): a cross account with 10 positions and
 * 3 resting orders on a 10-market venue, fills of 0.002 in M0 that flip both sides (both
 * margin-checked), the check `decideOrderCheck` of a buy of 1 M3 at 99.5.
 *
 *     node --expose-gc --import tsx bench/fill-cost.ts [ROOT]
 *
 * With FILL_COST_PROFILE=1 it only runs 60,000 fills (for `node --cpu-prof`).
 *
 * ROOT (default: this checkout) is the repository whose code is measured, so an old checkout
 * can be timed alternately with the new one in the same minutes.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { preTradeAccount, preTradeOps } from './support.ts';

const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const imp = (p: string) => import(pathToFileURL(resolve(root, p)).href);
const { benchVenue } = await imp('bench/support.ts');
const { decideOrderCheck, parseOrderCheck } = await imp('src/core/engine/order-check.ts');
const { InMemoryJournal } = await imp('src/store/memory-journal.ts');

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const journal = new InMemoryJournal();
const engine = benchVenue(10, journal);
let delivered = 0;
engine.onEvents((events: unknown[]) => {
  delivered += events.length;
});
// The account is set up by this checkout's bench/support.ts (only commands: any ROOT's engine takes them).
const { check, fill } = preTradeOps(engine, preTradeAccount(engine), { decideOrderCheck, parseOrderCheck });

function measure(name: string, op: () => void, n: number) {
  for (let i = 0; i < 5_000; i++) op(); // warm-up
  // CPU time: 5 rounds of n calls, the median round.
  const cpu: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) op();
    const c = process.cpuUsage(c0);
    cpu.push(((c.user + c.system) * 1e3) / n);
  }
  cpu.sort((a, b) => a - b);
  // Bytes: 200-call batches, each right after a full GC; the median batch.
  const bytes: number[] = [];
  for (let r = 0; r < 15; r++) {
    gc!();
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200; i++) op();
    bytes.push((process.memoryUsage().heapUsed - h0) / 200);
  }
  bytes.sort((a, b) => a - b);
  // Wall time per call.
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    op();
    t.push(Number(process.hrtime.bigint() - t0));
  }
  t.sort((a, b) => a - b);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))]! / 1e3;
  console.log(
    `${name}: cpu ${cpu[2]!.toFixed(0)} ns/call (rounds ${cpu[0]!.toFixed(0)}–${cpu[4]!.toFixed(0)}), ` +
      `${(bytes[7]! / 1e3).toFixed(2)} kB/call, wall median ${q(0.5).toFixed(2)} µs p99 ${q(0.99).toFixed(2)} µs`,
  );
}

if (process.env.FILL_COST_HEAP) {
  // where the bytes come from: V8's sampling heap profiler over 2,000 fills, by allocating function
  const { Session } = await import('node:inspector/promises');
  for (let i = 0; i < 5_000; i++) fill();
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const op = process.env.FILL_COST_HEAP === 'check' ? check : fill;
  for (let i = 0; i < 2_000; i++) op();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  type HeapNode = {
    callFrame: { functionName: string; url: string; lineNumber: number };
    selfSize: number;
    children: HeapNode[];
  };
  const self = new Map<string, number>();
  let total = 0;
  const walk = (n: HeapNode) => {
    const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(profile.head as never);
  console.log(`${(total / 2_000 / 1e3).toFixed(2)} kB per call (sampled)`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`${(v / 2_000).toFixed(0).padStart(7)} B  ${k}`);
} else if (process.env.FILL_COST_PROFILE) {
  // `node --cpu-prof`: only fills, no forced collections
  for (let i = 0; i < 60_000; i++) fill();
} else {
  measure('check', check, 20_000);
  measure('fill ', fill, 20_000);
}
if (delivered === 0) throw new Error('no events delivered');
