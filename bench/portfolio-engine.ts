/**
 * Portfolio margin through the engine: one subaccount in portfolio mode holding 200 option
 * positions (200 option markets: calls and puts, 4 expiries, strikes ±30%) and a perpetual per
 * underlying, across BTC, ETH and SOL. Every position comes from a real fill.
 *
 * Figures: median (p99) time of
 *   - the account's exact figures (`evaluate`: positions → risk matrix inputs, an implied vol
 *     solved from each option's mark, full revaluation on the crypto-pm grid, rounding), and
 *   - a pre-trade check (`execute(fill)` of a small perpetual trade, accepted, with its
 *     before/after figures), the cost a portfolio account adds to order entry. The figures cache
 *     keeps the book (account/portfolio-book.ts: each row's size, priced unit column and strike
 *     group, each underlying's scenario P&L vector), so a trade re-sums only the traded
 *     underlying's vector from cached columns, in the full recomputation's order;
 *   - the same pre-trade check under Deribit PM (`portfolio_deribit_pretrade_p99_us`: a USD book
 *     of 200 BTC and ETH options and 2 perpetuals; Deribit publishes no SOL parameters), whose
 *     kept book (account/portfolio-deribit-book.ts) re-adds the rows after the traded one to its
 *     running sums.
 * Each timed region is one `engine.execute(fill)`: command parsing, both sides' checks, the state
 * update, the events and the kept book brought to the new size; nothing is left out. The 2,000
 * timed fills follow 2,000 untimed ones (10 in quick mode), so the JIT has compiled the path.
 *
 * CPU time and allocation per call of the order check, the trade check and the accepted fill,
 * which do not depend on the machine's load as wall times do: bench/portfolio-check-cost.ts.
 *
 * Standalone: `npx tsx bench/portfolio-engine.ts` (BENCH_QUICK=1 for a smoke run).
 */
import { pathToFileURL } from 'node:url';
import { crossView, evaluate } from '../src/core/account/figures.ts';
import { Engine } from '../src/core/engine/engine.ts';
import type { MarketConfigInput } from '../src/core/model/config.ts';
import { black76Price, yearFraction } from '../src/core/pricing/black76.ts';
import { figure } from './figures.ts';
import { fmtNs, rng, stats } from './support.ts';

const DAY = 86_400_000;
export const NOW = Date.UTC(2026, 10, 25, 8);
const SPOTS = { BTC: 100_000, ETH: 4_000, SOL: 200 } as const;
type Base = keyof typeof SPOTS;
/** The engine's portfolio model; Deribit publishes parameters for BTC and ETH only, so its book has no SOL. */
export type BenchPortfolioModel = 'crypto-pm' | 'deribit-pm';

export interface PortfolioEngineBenchResult {
  options: number;
  evaluateMedianMs: number;
  evaluateP99Ms: number;
  preTradeMedianMs: number;
  preTradeP99Ms: number;
  initialMargin: string;
  /** The same pre-trade fill on the same kind of book under Deribit PM (BTC and ETH only). */
  deribitPreTradeMedianMs: number;
  deribitPreTradeP99Ms: number;
}

/**
 * The bench's venue and portfolio account. `create` makes the engine (default: this checkout's;
 * bench/portfolio-check-cost.ts passes another checkout's, to compare two versions on one book).
 */
export function buildVenue(
  options: number,
  seed: number,
  model: BenchPortfolioModel = 'crypto-pm',
  create: (config: unknown) => Engine = (config) => Engine.create(config),
) {
  const r = rng(seed);
  const bases = (Object.keys(SPOTS) as Base[]).filter((b) => model !== 'deribit-pm' || b !== 'SOL');
  const expiries = [7, 30, 90, 180].map((d) => NOW + d * DAY);
  const markets: MarketConfigInput[] = bases.map((b) => ({
    id: `${b}-PERP`,
    kind: 'perpetual',
    base: b,
    stepSize: '0.001',
    margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
  }));
  const optionMarks: Record<string, string> = {};
  const book: { id: string; size: number }[] = [];
  for (let k = 0; k < options; k++) {
    const base = bases[k % bases.length]!;
    const S = SPOTS[base];
    const right = r() < 0.5 ? ('call' as const) : ('put' as const);
    const strike = Math.round(S * (0.7 + 0.6 * r()));
    const expiryMs = expiries[Math.floor(r() * expiries.length)]!;
    const id = `${base}-${expiryMs}-${strike}-${right}-${k}`;
    markets.push({
      id,
      kind: 'option',
      base,
      stepSize: '0.1',
      expiryMs,
      option: { underlying: `${base}-PERP`, right, strike: String(strike) },
      margin: { kind: 'standardOption' },
    });
    const vol = 0.5 + 0.35 * ((strike / S - 1) * (strike / S - 1)) + 0.1 * bases.indexOf(base);
    const px = black76Price({ kind: right, forward: S, strike, timeYears: yearFraction(NOW, expiryMs), vol });
    optionMarks[id] = Math.max(px, 0.01).toFixed(2);
    book.push({ id, size: Math.round((r() - 0.5) * 40) / 10 || 0.1 });
  }
  const engine = create({
    settlementAsset: 'USDC',
    assets: [{ id: 'USDC', decimals: 6 }],
    markets,
    guards: { maxFillDeviation: '10' },
    portfolio: { model },
  });
  const perpMarks = Object.fromEntries(bases.map((b) => [`${b}-PERP`, String(SPOTS[b])]));
  engine.executeOrThrow({ type: 'prices', timeMs: NOW, marks: perpMarks });
  engine.executeOrThrow({ type: 'prices', timeMs: NOW, marks: optionMarks });
  const acct = { account: 'pm', sub: '0' };
  const mm = { account: 'mm', sub: '0' };
  engine.executeOrThrow({ type: 'deposit', to: acct, asset: 'USDC', amount: '100000000', timeMs: NOW });
  engine.executeOrThrow({ type: 'deposit', to: mm, asset: 'USDC', amount: '10000000000', timeMs: NOW });
  engine.executeOrThrow({ type: 'set_portfolio_margin', subaccount: acct, enabled: true });
  for (const b of bases) {
    engine.executeOrThrow({
      type: 'fill',
      market: `${b}-PERP`,
      buyer: acct,
      seller: mm,
      size: '1',
      price: String(SPOTS[b]),
      timeMs: NOW,
    });
  }
  for (const p of book) {
    engine.executeOrThrow({
      type: 'fill',
      market: p.id,
      buyer: p.size > 0 ? acct : mm,
      seller: p.size > 0 ? mm : acct,
      size: Math.abs(p.size).toFixed(1),
      price: optionMarks[p.id]!,
      timeMs: NOW,
    });
  }
  return { engine, acct, mm };
}

export function benchPortfolioEngine(
  opts: { quick?: boolean; options?: number; log?: (s: string) => void } = {},
): PortfolioEngineBenchResult {
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const options = opts.options ?? 200;
  const runs = opts.quick ? 20 : 2000;
  const { engine, acct, mm } = buildVenue(options, 11);
  const sub = engine.state.subaccounts.get('pm/0')!;
  let f = evaluate(engine.state, crossView(sub));
  const evalTimes: number[] = [];
  for (let i = 0; i < runs + 10; i++) {
    const t0 = process.hrtime.bigint();
    f = evaluate(engine.state, crossView(sub));
    if (i >= 10) evalTimes.push(Number(process.hrtime.bigint() - t0));
  }
  const t = stats(preTradeTimes(engine, acct, mm, runs));
  const d = stats(preTradeTimes(...deribit(options), runs));
  const e = stats(evalTimes);
  const result: PortfolioEngineBenchResult = {
    options,
    evaluateMedianMs: e.median / 1e6,
    evaluateP99Ms: e.p99 / 1e6,
    preTradeMedianMs: t.median / 1e6,
    preTradeP99Ms: t.p99 / 1e6,
    initialMargin: (Number(f.initialMarginQuote) / 1e6).toFixed(2),
    deribitPreTradeMedianMs: d.median / 1e6,
    deribitPreTradeP99Ms: d.p99 / 1e6,
  };
  figure(
    'portfolio_pretrade_p99_us',
    t.p99 / 1e3,
    'us',
    "engine.execute(fill) of a 0.001 BTC perpetual trade on a portfolio-margin account holding 200 options and 3 perpetuals: command parsing, both sides' margin checks (the portfolio side's after-trade requirement from the kept book: only the traded underlying's scenario vector re-summed from cached columns), the state update and events, the kept book brought to the new size",
  );
  figure(
    'portfolio_deribit_pretrade_p99_us',
    d.p99 / 1e3,
    'us',
    "the same engine.execute(fill) under portfolio.model 'deribit-pm' (a USD book of 200 BTC and ETH options and 2 perpetuals, Deribit's published parameters): both sides' margin checks (the portfolio side's after-trade requirement from the kept Deribit book: the rows after the traded one re-added to its running sums in the full recomputation's order), the state update and events, the kept book brought to the new size",
  );
  log(
    `   portfolio account in the engine (${options} option markets + 3 perps): figures median ${fmtNs(e.median)}, p99 ${fmtNs(e.p99)}; ` +
      `pre-trade execute(fill) median ${fmtNs(t.median)}, p99 ${fmtNs(t.p99)} (${runs} runs); IM ${result.initialMargin}; ` +
      `deribit-pm: pre-trade execute(fill) median ${fmtNs(d.median)}, p99 ${fmtNs(d.p99)}`,
  );
  return result;
}

/** The Deribit PM venue of the same size (BTC and ETH), as preTradeTimes takes it. */
function deribit(options: number): [Engine, AccountRef, AccountRef] {
  const v = buildVenue(options, 11, 'deribit-pm');
  return [v.engine, v.acct, v.mm];
}

type AccountRef = { account: string; sub: string };

/**
 * Wall time of `runs` risk-adding fills after WARM_FILLS untimed ones (a venue's engine is hot: the
 * warm-up lets the JIT compile the path first, so the tail is not the first calls' tier-up): each
 * timed region is exactly one `engine.execute(fill)` of 0.001 BTC-PERP bought by the account.
 */
const WARM_FILLS = 2_000;
function preTradeTimes(engine: Engine, acct: AccountRef, mm: AccountRef, runs: number): number[] {
  const times: number[] = [];
  const warm = runs < 100 ? 10 : WARM_FILLS;
  for (let i = 0; i < runs + warm; i++) {
    // always adding risk, so every trade is checked against the portfolio requirement
    const t0 = process.hrtime.bigint();
    const r = engine.execute({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: acct,
      seller: mm,
      size: '0.001',
      price: '100000',
      timeMs: NOW,
    });
    if (i >= warm) times.push(Number(process.hrtime.bigint() - t0));
    if (!r.ok) throw new Error(`bench fill refused: ${r.rejection.message}`);
  }
  return times;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchPortfolioEngine({ quick: process.env.BENCH_QUICK === '1' });
}
