/**
 * Open-time profile helper (not part of `npm run bench`): the block-h population of N accounts
 * (env ACCOUNTS, default 100,000; cached like block h) → Engine.open → LiquidationBoundIndex,
 * printing decode and index wall/CPU time, heap and RSS after a full GC, and the state hash.
 * Run with `node --cpu-prof` or `--heapsnapshot-signal` to see where opening spends.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stateHash } from '../src/core/engine/codec.ts';
import { Engine, type JournalPort } from '../src/core/engine/engine.ts';
import { LiquidationBoundIndex } from '../src/riskbook/index.ts';
import { cachedPopulation } from './million-population.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const n = Number(process.env.ACCOUNTS ?? 100_000);
/**
 * The population's snapshot behind a journal port, built in a function so that only the port
 * holds the text (`drop` lets it go, as block h's port does): read at the module's top level it
 * stayed reachable after the open (~190 MiB more heap at a million accounts than block h).
 */
function snapshotPort(): JournalPort & { drop(): void } {
  const pop = cachedPopulation(n, console.log);
  let text: string | undefined = pop.json;
  pop.json = '';
  // Not by a RegExp: its last-match record would keep a slice of the text, and with it the text.
  const at = text.indexOf('"seq":');
  const seq = Number.parseInt(text.slice(at + 6, at + 32), 10);
  return {
    append() {},
    lastSeq: () => seq,
    saveSnapshot() {},
    latestSnapshot: () => (text === undefined ? undefined : { seq, json: text }),
    read: () => [][Symbol.iterator](),
    drop() {
      text = undefined;
    },
  };
}
const port = snapshotPort();
gc();
const mark = (what: string) =>
  process.env.MARKS === '1' && console.log(`-- ${what} at ${performance.now().toFixed(0)} ms`);
mark('decode start');
const c0 = process.cpuUsage();
const t0 = performance.now();
const engine = Engine.open(port);
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
port.drop();
gc();
const stateMb = process.memoryUsage().heapUsed / 2 ** 20;
mark('index start');
const c2 = process.cpuUsage();
const t2 = performance.now();
const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0, shared: true });
const t3 = performance.now();
const c3 = process.cpuUsage(c2);
mark('index end');
gc();
const m = process.memoryUsage();
console.log(
  `accounts ${n}: decode ${((t1 - t0) / 1000).toFixed(2)} s (cpu ${((c1.user + c1.system) / 1e6).toFixed(2)}), index ${((t3 - t2) / 1000).toFixed(2)} s (cpu ${((c3.user + c3.system) / 1e6).toFixed(2)}); heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB (state ${stateMb.toFixed(0)}), rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)} MiB; scopes ${index.book.scopeCount}`,
);
// The canonical state text of much more than 200,000 accounts exceeds V8's largest string.
if (process.env.HASH !== '0' && n <= 200_000) console.log(`stateHash ${stateHash(engine.state)}`);
