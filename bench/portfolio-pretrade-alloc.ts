/**
 * What a portfolio account's pre-trade check allocates: the tail of its latency is the garbage
 * collector, so this counts what feeds it, independently of the machine's load.
 *
 * The book is bench/portfolio-engine.ts's (200 option markets + 3 perpetuals, crypto-pm, the
 * account in portfolio mode). After 300 warm-up trades, each measured unit is one risk-adding
 * `engine.execute(fill)` (the pre-trade check, the fill, its events), and the script reports:
 *   - kilobytes allocated per check (V8's sampling heap profiler over 500 checks, objects
 *     collected by minor and major GCs included);
 *   - garbage collections and their total time over 2,000 checks, with the median and p99 of
 *     the checks' wall time (those two depend on the machine's load: re-measure idle).
 *
 * Standalone: `npx tsx bench/portfolio-pretrade-alloc.ts`.
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { buildVenue } from './portfolio-engine.ts';

const NOW = Date.UTC(2026, 10, 25, 8);
const { engine, acct, mm } = buildVenue(200, 11);
const check = () => {
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
};
for (let i = 0; i < 300; i++) check();

const session = new Session();
session.connect();
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 1024,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < 500; i++) check();
const { profile } = await session.post('HeapProfiler.stopSampling');
const total = (n: { selfSize: number; children: unknown[] }): number =>
  n.selfSize + (n.children as (typeof n)[]).reduce((a, c) => a + total(c), 0);
const kbPerCheck = total(profile.head as never) / 500 / 1e3;
session.disconnect();

let gcs = 0;
let gcMs = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcs++;
    gcMs += e.duration;
  }
});
obs.observe({ entryTypes: ['gc'] });
const times: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t0 = process.hrtime.bigint();
  check();
  times.push(Number(process.hrtime.bigint() - t0));
}
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
times.sort((a, b) => a - b);
console.log(
  `pre-trade check of a 200-option portfolio account: ${kbPerCheck.toFixed(1)} KB allocated per check; ` +
    `${gcs} GCs (${gcMs.toFixed(0)} ms) over 2,000 checks; median ${(times[1000]! / 1e3).toFixed(0)} µs, ` +
    `p99 ${(times[1980]! / 1e3).toFixed(0)} µs`,
);
