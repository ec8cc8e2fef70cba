/**
 * Where a fill's (and a check's) slow samples come from: bench block a's setup and timed
 * region, and for each sample whether a garbage collection ran inside it (the V8 heap's used
 * size fell across it: read outside the timed region). Prints the p99 of all samples and of
 * those without a collection, how many collections there were, and the median / p99 of each
 * eighth of the samples in order (a start-up transient, such as code V8 has not optimized yet,
 * shows in the first eighths).
 *
 *     node --import tsx bench/fill-tail.ts [samples] [warm-up calls]
 */
import { getHeapStatistics } from 'node:v8';
import { InMemoryJournal } from '../src/store/memory-journal.ts';
import { benchVenue, preTradeAccount, preTradeOps } from './support.ts';

const n = Number(process.argv[2] ?? 20_000);
const warm = Number(process.argv[3] ?? 20_000);
const journal = new InMemoryJournal();
const engine = benchVenue(10, journal);
engine.onEvents(() => {});
const { check, fill } = preTradeOps(engine, preTradeAccount(engine));

function tail(name: string, op: () => void) {
  for (let i = 0; i < warm; i++) op();
  const t = new Float64Array(n);
  const gcd = new Uint8Array(n);
  let h = getHeapStatistics().used_heap_size;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    op();
    t[i] = Number(process.hrtime.bigint() - t0);
    const h1 = getHeapStatistics().used_heap_size;
    if (h1 < h) gcd[i] = 1;
    h = h1;
  }
  const all = [...t].sort((a, b) => a - b);
  const clean = [...t].filter((_, i) => gcd[i] === 0).sort((a, b) => a - b);
  const withGc = [...t].filter((_, i) => gcd[i] === 1).sort((a, b) => a - b);
  const q = (a: number[], p: number) => (a[Math.min(a.length - 1, Math.floor(p * a.length))] ?? 0) / 1e3;
  console.log(
    `${name}: median ${q(all, 0.5).toFixed(2)} p99 ${q(all, 0.99).toFixed(2)} µs; ${withGc.length} samples with a GC ` +
      `(median ${q(withGc, 0.5).toFixed(1)} µs); without them p99 ${q(clean, 0.99).toFixed(2)} p99.9 ${q(clean, 0.999).toFixed(1)} µs; ` +
      `slowest 1% = ${Math.floor(n / 100)} samples, of which GC ${
        [...t]
          .map((x, i) => [x, gcd[i]])
          .sort((a, b) => b[0]! - a[0]!)
          .slice(0, Math.floor(n / 100))
          .filter((x) => x[1] === 1).length
      }`,
  );
  const parts: string[] = [];
  const step = Math.floor(n / 8);
  for (let i = 0; i + step <= n; i += step) {
    const part = [...t.subarray(i, i + step)].sort((a, b) => a - b);
    parts.push(`${q(part, 0.5).toFixed(1)}/${q(part, 0.99).toFixed(1)}`);
  }
  console.log(`  by eighths in order, median/p99 µs: ${parts.join(' ')}`);
}
tail('check', check);
tail('fill ', fill);
