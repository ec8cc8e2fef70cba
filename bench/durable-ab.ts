/**
 * Two checkouts' durable fill paths in ONE process, alternating bursts, so both meet the same
 * load: on a shared machine, separate runs of bench/durable-cost.ts minutes apart differ by more
 * than the change being measured. Each checkout gets bench block c's setup (bench/durable-fills.ts:
 * its engine, commit pipeline and group-commit SQLite journal, synchronous = FULL, commit worker,
 * 512 fills in flight, each acknowledged after its group's commit) on its own file, a warm-up of
 * 20,000 fills, then BURSTS bursts of FILLS fills each, A then B, then B then A, and so on.
 *
 *     npx tsx bench/durable-ab.ts ROOT_A ROOT_B [BURSTS=20] [FILLS=5000]
 *
 * Printed per checkout: the engine thread's CPU per fill (Linux scheduler count, /proc), its wait
 * for a CPU, the whole process's CPU per fill while that checkout's bursts ran (its commit worker
 * and V8's GC helpers; the heap is shared, so a collection may fall in the other's burst) and the
 * wall rate. The engine thread's figure is the one to compare; the rates mean little when loaded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DurableCode, durableSetup } from './durable-fills.ts';

const roots = [process.argv[2], process.argv[3]];
if (roots[0] === undefined || roots[1] === undefined)
  throw new Error('usage: npx tsx bench/durable-ab.ts ROOT_A ROOT_B [BURSTS] [FILLS]');
const bursts = Number(process.argv[4] ?? 20);
const burst = Number(process.argv[5] ?? 5000);
const inFlight = 512;

/** This thread's [ns on a CPU, ns runnable but waiting] (Linux). */
const sched = (): number[] => readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
const processCpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

interface Setup {
  readonly close: () => Promise<void>;
  readonly drive: (count: number) => Promise<void>;
}

async function setUp(root: string, dir: string): Promise<Setup> {
  const imp = (p: string) => import(pathToFileURL(resolve(root, p)).href);
  const code: DurableCode = {
    Engine: (await imp('src/core/engine/engine.ts')).Engine,
    CommitPipeline: (await imp('src/server/commit-pipeline.ts')).CommitPipeline,
    DeferredSqliteJournal: (await imp('src/store/deferred-sqlite-journal.ts')).DeferredSqliteJournal,
  };
  // block c's setup and driver (this checkout's bench code, ROOT's engine, pipeline and journal)
  const { pipeline, drive } = await durableSetup(code, join(dir, 'journal.sqlite'), inFlight);
  return { drive, close: () => pipeline.close() };
}

const dirs = roots.map(() => mkdtempSync(join(tmpdir(), 'plimsoll-bench-durable-ab-')));
try {
  const setups: Setup[] = [];
  for (const [j, root] of roots.entries()) setups.push(await setUp(root!, dirs[j]!));
  for (const s of setups) await s.drive(20_000); // warm-up, an even count: positions as they were
  const acc = setups.map(() => ({ cpu: 0, wait: 0, all: 0, ms: 0, fills: 0 }));
  for (let b = 0; b < bursts; b++) {
    for (const j of b % 2 === 0 ? [0, 1] : [1, 0]) {
      const s0 = sched();
      const p0 = processCpuUs();
      const t0 = performance.now();
      await setups[j]!.drive(burst);
      const s1 = sched();
      const a = acc[j]!;
      a.all += processCpuUs() - p0;
      a.ms += performance.now() - t0;
      a.cpu += (s1[0]! - s0[0]!) / 1e3;
      a.wait += (s1[1]! - s0[1]!) / 1e3;
      a.fills += burst;
    }
  }
  for (const [j, a] of acc.entries())
    process.stdout.write(
      `${roots[j]}: engine thread CPU ${(a.cpu / a.fills).toFixed(2)} µs/fill, waited for a CPU ${(a.wait / a.fills).toFixed(2)} µs, all threads CPU ${(a.all / a.fills).toFixed(2)} µs; ${(a.fills / a.ms).toFixed(1)} k fills/s\n`,
    );
  for (const s of setups) await s.close();
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
