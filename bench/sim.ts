/**
 * Simulation throughput: the risk lab's cascade simulator (src/sim/lab/cascade-sim.ts, via
 * `runComparison` with one static policy, IM 4 % / MM 2 %, the default book: the real
 * 2025-10-10 bookDepth snapshots scaled to the population's open interest) over the full
 * 2025-10-10 day of 1-minute prices (1,440 bars × 4 points = 5,760 price points), with
 * liquidations, cascades, backstop unloads and the bankruptcy waterfall through the real engine.
 *
 * Figure: account-ticks per second = accounts × price points / wall seconds (wall time
 * includes drawing and opening the population).
 *
 * Standalone: `npx tsx bench/sim.ts` (BENCH_QUICK=1: 1,000 accounts instead of 10,000).
 * From bench/run.ts: `const f = benchSim({ quick: QUICK, log });`
 */
import { pathToFileURL } from 'node:url';
import { runComparison } from '../src/sim/lab/compare.ts';
import { staticPolicy } from '../src/sim/lab/policies.ts';

export interface SimBench {
  readonly accounts: number;
  readonly ticks: number;
  readonly wallSeconds: number;
  readonly accountTicksPerSecond: number;
  readonly liquidations: number;
  readonly badDebt: string;
  readonly conservationOk: boolean;
}

export function benchSim(opts: { quick: boolean; log: (text: string) => void; accounts?: number }): SimBench {
  const accounts = opts.accounts ?? (opts.quick ? 1_000 : 10_000);
  const t0 = performance.now();
  const cmp = runComparison({
    crash: '2025-10-10',
    accounts,
    seed: 42,
    policies: [staticPolicy('static-low', '0.04', '0.02')],
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const m = cmp.rows[0]!;
  const ticks = cmp.path.points;
  const r: SimBench = {
    accounts,
    ticks,
    wallSeconds,
    accountTicksPerSecond: (accounts * ticks) / wallSeconds,
    liquidations: m.liquidations.count,
    badDebt: m.badDebt.total,
    conservationOk: m.conservation.ok,
  };
  opts.log(
    `   ${accounts} accounts × ${ticks} ticks (${cmp.book.source} book): ${wallSeconds.toFixed(1)} s wall → ` +
      `${(r.accountTicksPerSecond / 1e6).toFixed(2)} M account-ticks/s · ${r.liquidations} liquidation steps, ` +
      `bad debt ${Number(r.badDebt).toFixed(0)} USDC, INV-01 ${r.conservationOk ? '✓' : '✗'}`,
  );
  return r;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchSim({ quick: process.env.BENCH_QUICK === '1', log: (t) => process.stdout.write(`${t}\n`) });
}
