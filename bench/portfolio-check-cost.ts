/**
 * What a portfolio account's checks cost, independently of the machine's load: CPU time and
 * bytes allocated per call (the garbage the collector must later clear: the source of the tail
 * latency), for the book of bench/portfolio-engine.ts (200 option markets + 3 perpetuals,
 * crypto-pm, the account in portfolio mode). Three calls, each measured apart:
 *   - order check: `decideOrderCheck` of a 0.001 BTC-PERP limit buy (read-only: the order's
 *     reservation and the book's requirement, before and after);
 *   - trade check: `crossFiguresWithChange` with the account's BTC-PERP position 0.001 larger
 *     (read-only: the requirement of the book after the trade, what a fill's margin check reads);
 *   - accepted fill: `engine.execute(fill)` of that trade (both sides' checks, the fill, its
 *     events, the cached figures after it).
 * CPU time is process.cpuUsage over the runs (user + system, this process only, so other jobs on
 * the machine inflate it less than wall time); allocation is V8's sampling heap profiler (1 KB
 * interval, objects already collected included), so it is an estimate to about ±10 %.
 *
 * `npx tsx bench/portfolio-check-cost.ts [ROOT]` measures the code under ROOT (default: this
 * checkout), so one run can compare two checkouts: `... /work/main` then `...` with no argument.
 */
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildVenue, NOW } from './portfolio-engine.ts';

const ROOT = resolve(process.argv[2] ?? resolve(import.meta.dirname, '..'));
const load = (p: string) => import(pathToFileURL(resolve(ROOT, p)).href);
const { Engine } = await load('src/core/engine/engine.ts');
const { decideOrderCheck, parseOrderCheck } = await load('src/core/engine/order-check.ts');
const { crossFiguresWithChange } = await load('src/core/account/figures-cache.ts');

// bench/portfolio-engine.ts's venue (same seed, same book), built with ROOT's engine.
const { engine, acct, mm } = buildVenue(200, 11, 'crypto-pm', (config) => Engine.create(config));
const sub = engine.state.subaccounts.get('pm/0')!;
const order = parseOrderCheck({
  subaccount: acct,
  orderId: 'probe',
  market: 'BTC-PERP',
  side: 'buy',
  size: '0.001',
  price: '100000',
  timeMs: NOW,
});
if ('rejection' in order) throw new Error(order.rejection.message);

const calls: Record<string, () => void> = {
  'order check (decideOrderCheck)': () => {
    const r = decideOrderCheck(engine.state, order);
    if (!r.ok) throw new Error(r.rejection.message);
  },
  'trade check (crossFiguresWithChange)': () => {
    const held = sub.positions.get('BTC-PERP')!;
    const next = {
      market: 'BTC-PERP',
      size: held.size + 1_000_000n,
      entryValue: held.entryValue + 100_000_000n,
    };
    crossFiguresWithChange(engine.state, sub, 'BTC-PERP', next, undefined, 0n);
  },
  'accepted fill (execute)': () => {
    const r = engine.execute({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: acct,
      seller: mm,
      size: '0.001',
      price: '100000',
      timeMs: NOW,
    });
    if (!r.ok) throw new Error(r.rejection.message);
  },
};

const N = Number(process.env.CHECKS ?? 2000);
const session = new Session();
session.connect();
const total = (n: { selfSize: number; children: unknown[] }): number =>
  n.selfSize + (n.children as (typeof n)[]).reduce((a, c) => a + total(c), 0);
type Node = {
  selfSize: number;
  children: Node[];
  callFrame: { functionName: string; url: string; lineNumber: number };
};
/** With SITES=1: the allocation sites (function, file:line) that allocate the most per call. */
function printSites(head: Node): void {
  const by = new Map<string, number>();
  const walk = (n: Node) => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(head);
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`      ${(v / 500 / 1024).toFixed(1).padStart(6)} KiB  ${k}`);
}
console.log(`root ${ROOT}`);
for (const [name, f] of Object.entries(calls)) {
  for (let i = 0; i < 200; i++) f(); // warm-up
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < 500; i++) f();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const kb = total(profile.head as never) / 500 / 1024;
  if (process.env.SITES === '1') printSites(profile.head as never);
  let gcs = 0;
  const obs = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) f();
  const c = process.cpuUsage(c0);
  await new Promise((r) => setTimeout(r, 20));
  obs.disconnect();
  const cpuUs = (c.user + c.system) / N;
  console.log(
    `  ${name.padEnd(38)} ${cpuUs.toFixed(1).padStart(8)} µs CPU/call  ${kb.toFixed(1).padStart(7)} KiB allocated/call  ${gcs} GCs over ${N} calls`,
  );
}
session.disconnect();
