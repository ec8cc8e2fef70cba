/**
 * What a durable fill costs, in the measures the machine's load moves least: bench block c's
 * run (bench/durable-fills.ts: 512 fills in flight through the commit pipeline, SQLite WAL,
 * synchronous = FULL, each acknowledged after its group's commit) repeated, printing per round
 * the wall rate, the engine thread's CPU per fill, the time it waited for a CPU (runnable, but
 * another thread had it), and the whole process's CPU per fill (commit worker and V8's GC
 * helpers included).
 *
 *     npx tsx bench/durable-cost.ts [FILLS=40000] [ROUNDS=5] [ROOT]
 *     node --cpu-prof --import tsx bench/durable-cost.ts 100000 1     # a CPU profile
 *
 * ROOT (default: this checkout) is the repository whose engine, commit pipeline and journal are
 * measured, so an older checkout can be timed alternately with this one in the same minutes.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DurableCode, durableFills } from './durable-fills.ts';

const fills = Number(process.argv[2] ?? 40_000);
const rounds = Number(process.argv[3] ?? 5);
const root = process.argv[4];
const imp = (p: string) => import(pathToFileURL(resolve(root ?? '.', p)).href);
const code: DurableCode | undefined =
  root === undefined
    ? undefined
    : {
        Engine: (await imp('src/core/engine/engine.ts')).Engine,
        CommitPipeline: (await imp('src/server/commit-pipeline.ts')).CommitPipeline,
        DeferredSqliteJournal: (await imp('src/store/deferred-sqlite-journal.ts')).DeferredSqliteJournal,
      };
const inFlight = Number(process.env.BENCH_DURABLE_IN_FLIGHT ?? 512);
const f1 = (x: number | undefined) => (x === undefined ? '?' : x.toFixed(1));
for (let r = 0; r < rounds; r++) {
  const d = await durableFills(fills, inFlight, code);
  process.stdout.write(
    `round ${r + 1}: ${(d.perSecond / 1000).toFixed(1)} k fills/s (${d.groups} commits); per fill: engine thread CPU ${f1(d.mainCpuUsPerFill)} µs, waited for a CPU ${f1(d.mainWaitUsPerFill)} µs, all threads CPU ${f1(d.allCpuUsPerFill)} µs; engine busy ${(d.mainBusy * 100).toFixed(0)}%\n`,
  );
}
