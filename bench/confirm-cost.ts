/**
 * Cost of the exact confirmation of liquidation candidates (src/riskbook/maintenance-check.ts),
 * per candidate, on the block-h population (bench/million-population.ts) at a chosen size.
 *
 * Opens the population's snapshot, applies block h's 5 % fall and crash from the baseline,
 * collects the candidates a bound index that does not decide from its rows
 * (`decideFromRows: false`) hands to `RiskBook.confirmScopes` and times, on the same
 * (subaccount, scope) pairs and alternating: the certified float decision read from the
 * subaccount (`MaintenanceChecker.liquidatable`) and the all-bigint figures
 * (`MaintenanceChecker.figures`, the exact fallback), on the pairs alone (subaccounts looked up
 * beforehand); `RiskBook.confirmScopes` (the decision from the book's own columns); and, for
 * scale, the state walk without any arithmetic (look up each candidate's subaccount, iterate its
 * positions). The certified answers are checked equal to the integer ones before anything is
 * timed. Also times the whole index tick, with candidates decided from the rows (the default)
 * and without. Process CPU time, not wall time (the machine is shared). Not part of
 * `npm run bench`; `PROFILE=new|old` only loops one confirmation (for `node --cpu-prof`).
 *
 *     ACCOUNTS=100000 npx tsx bench/confirm-cost.ts
 */
import type { Scope } from '../src/core/account/figures.ts';
import { Engine, type JournalPort } from '../src/core/engine/engine.ts';
import type { ReadonlySubaccount } from '../src/core/model/state.ts';
import { LiquidationBoundIndex } from '../src/riskbook/index.ts';
import { MaintenanceChecker } from '../src/riskbook/maintenance-check.ts';
import { cachedPopulation } from './million-population.ts';
import { stats } from './support.ts';

/** Process CPU time of one call, ns (the machine is shared: wall time counts other processes too). */
function cpuEach(runs: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    out.push((c.user + c.system) * 1e3);
  }
  return out;
}

const accounts = Number(process.env.ACCOUNTS ?? 100_000);
const rounds = Number(process.env.ROUNDS ?? 5);
const pop = cachedPopulation(accounts, (s) => console.log(s));
const seq = Number(/"seq":(\d+)/.exec(pop.json.slice(0, 1_000_000))![1]);
const port: JournalPort = {
  append() {},
  lastSeq: () => seq,
  saveSnapshot() {},
  latestSnapshot: () => ({ seq, json: pop.json }),
  read: () => [][Symbol.iterator](),
};
const engine = Engine.open(port);
pop.json = '';
const index = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0 });
const plain = new LiquidationBoundIndex(engine, { autoRebaseAbove: 0, decideFromRows: false });
const book = plain.book;
let captured: number[] = [];
const confirmScopes = book.confirmScopes.bind(book);
book.confirmScopes = (state, scopes) => {
  captured = [...scopes];
  return confirmScopes(state, scopes);
};
let time = 1_000_000;
const all = (px: string) => ({ M0: px, M1: px, M2: px, M3: px });
const scenarios: [string, Record<string, string>, Record<string, string>][] = [
  ['5% fall', all('95'), { ETH: '3000' }],
  ['crash', { M0: '82', M1: '112', M2: '88', M3: '100' }, { ETH: '2700' }],
];
for (const [label, marks, assets] of scenarios) {
  engine.executeOrThrow({ type: 'prices', timeMs: time++, marks, assets });
  const state = engine.state;
  const exact = engine.liquidatable();
  const fast = index.liquidatable(state);
  if (JSON.stringify(fast) !== JSON.stringify(exact)) throw new Error(`${label}: index disagrees`);
  const rowsDecided = index.stats.decidedFromRows;
  const viaBook = plain.liquidatable(state);
  if (JSON.stringify(viaBook) !== JSON.stringify(exact))
    throw new Error(`${label}: index (no rows) disagrees`);
  // The candidates as (subaccount, scope) pairs.
  const pairs: { sub: ReadonlySubaccount; scope: Scope }[] = [];
  for (const s of captured) {
    const key = (book as unknown as { scopeKey: (string | undefined)[] }).scopeKey[s];
    const scope = (book as unknown as { scopeOf: Scope[] }).scopeOf[s]!;
    const sub = key === undefined ? undefined : state.subaccounts.get(key);
    if (sub) pairs.push({ sub, scope });
  }
  const checker = new MaintenanceChecker();
  let agree = 0;
  for (const { sub, scope } of pairs) {
    const f = checker.figures(state, sub, scope);
    if (checker.liquidatable(state, sub, scope) !== f.equityQuote < f.maintenanceMarginQuote)
      throw new Error('certified decision differs from the exact figures');
    agree++;
  }
  let sink = 0;
  const oldRun = () => {
    for (const { sub, scope } of pairs) {
      const f = checker.figures(state, sub, scope);
      if (f.equityQuote < f.maintenanceMarginQuote) sink++;
    }
  };
  const newRun = () => {
    for (const { sub, scope } of pairs) if (checker.liquidatable(state, sub, scope)) sink++;
  };
  const tickRun = () => {
    sink += index.liquidatable(state).length;
  };
  const tickPlainRun = () => {
    sink += plain.liquidatable(state).length;
  };
  // RiskBook.confirmScopes itself: sorted by subaccount, each scope decided from the book's columns.
  const confirmNew = () => {
    sink += confirmScopes(state, captured).length;
  };
  // The state walk alone: one subaccount lookup per candidate (in confirmScopes' order) and a touch of its positions.
  const ord = (book as unknown as { scopeOrdinal: number[] }).scopeOrdinal;
  const keyOf = (book as unknown as { scopeKey: (string | undefined)[] }).scopeKey;
  const sortedKeys = [...captured].sort((a, b) => ord[a]! - ord[b]! || a - b).map((s) => keyOf[s]!);
  const lookupRun = () => {
    for (const key of sortedKeys) {
      const sub = state.subaccounts.get(key)!;
      for (const p of sub.positions.values()) if (p.isolated) sink++;
    }
  };
  if (process.env.PROFILE === 'new' || process.env.PROFILE === 'old') {
    const fn = process.env.PROFILE === 'new' ? tickRun : tickPlainRun;
    for (let i = 0; i < rounds * 10; i++) fn();
    continue;
  }
  for (let i = 0; i < 2; i++) {
    oldRun();
    newRun();
    tickRun();
    tickPlainRun();
    confirmNew();
  }
  const lk: number[] = [];
  const tp: number[] = [];
  const cn: number[] = [];
  const o: number[] = [];
  const n: number[] = [];
  const t: number[] = [];
  for (let r = 0; r < rounds; r++) {
    o.push(...cpuEach(1, oldRun));
    n.push(...cpuEach(1, newRun));
    t.push(...cpuEach(1, tickRun));
    tp.push(...cpuEach(1, tickPlainRun));
    cn.push(...cpuEach(1, confirmNew));
    lk.push(...cpuEach(1, lookupRun));
  }
  const per = (xs: number[]) => {
    const s = stats(xs);
    return `median ${(s.median / pairs.length).toFixed(0)} ns of CPU (range ${(s.min / pairs.length).toFixed(0)}–${(s.max / pairs.length).toFixed(0)})`;
  };
  const ts = stats(t);
  const tps = stats(tp);
  console.log(
    `${label}: ${pairs.length} candidates (${agree} checked), ${exact.length} liquidatable, ${checker.stats.fallbacks} fallbacks / ${checker.stats.decisions} decisions\n` +
      `  per candidate: bigint figures ${per(o)}; certified ${per(n)}\n` +
      `  RiskBook.confirmScopes (book columns) per candidate: ${per(cn)}\n` +
      `  state walk alone (lookup + positions): ${per(lk)}\n` +
      `  index tick (CPU), ${rowsDecided} decided from rows: median ${(ts.median / 1e6).toFixed(2)} ms (range ${(ts.min / 1e6).toFixed(2)}–${(ts.max / 1e6).toFixed(2)})\n` +
      `  index tick (CPU), every candidate to the book's columns: median ${(tps.median / 1e6).toFixed(2)} ms (range ${(tps.min / 1e6).toFixed(2)}–${(tps.max / 1e6).toFixed(2)})`,
  );
  if (sink === -1) console.log('');
}
