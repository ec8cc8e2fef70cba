/**
 * Policy comparison: the same exogenous history, the same traders (same seed) and the
 * same book model, run once per margin policy; one row of metrics per policy.
 *
 * What is shared across the runs (so the rows differ only by policy):
 * - the trader intents (`drawTraders`), materialized under each policy
 *   (`sizing: 'collateral'`: same deposits, each policy allows its own size;
 *   `'positions'`: the same sizes as under the first policy, deposits topped up);
 * - the insurance-fund seed: 0.05 % of the gross notional under the *venue's own*
 *   margin (the demo venue's Binance brackets), the same USDC amount in every run;
 * - the book: real banded depth for 2025-10-10 (data/BTCUSDT-bookDepth-2025-10-10.csv,
 *   phantom bids repaired) or the parametric fallback, scaled by `depthScale`. By
 *   default the scale is the population's open interest (Σ |trader size| under the
 *   venue's own margin) over `referenceOpenInterestBase` (90,000 BTC — an assumed
 *   round figure for the order of Binance's BTCUSDT perpetual open interest in
 *   October 2025, not taken from the bundled data), i.e. the simulated venue's book
 *   is as deep relative to its open interest as the source venue's.
 *
 * Run it: `npx tsx src/sim/lab/compare.ts [--crash 2025-10-10] [--accounts 1000] [--seed 42]`
 * (`--help` for the rest; `--dynamic` adds the dynamic and predictive policies).
 *
 * @example
 * const { rows } = runComparison({ crash: '2025-10-10', accounts: 200, seed: 1 });
 * console.log(formatTable(rows));
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  BookModel,
  type BookModelOptions,
  bandedDepthSource,
  type DepthSource,
  infiniteDepthSource,
  NO_GAP,
  NO_THINNING,
  type ParametricDepthOptions,
  parametricDepthSource,
  type RepairStats,
  readBookDepthSnapshots,
  repairPhantomBids,
} from '../../analytics/liquidity/depth-model.ts';
import { formatDecimal, parseDecimalUnsafe } from '../../core/num/index.ts';
import { DATA_DIR, labWindow, loadWindowKlines } from '../data/crashes.ts';
import { hasOracleFeed } from '../oracle-feed.ts';
import { drawTraders, LAB_POPULATION_SPEC, materialize, type PopulationSpec } from '../population.ts';
import { INSURANCE_SEED_PPM } from '../venue.ts';
import {
  type CascadeMetrics,
  type CascadeResult,
  type KeeperOptions,
  klinePoints,
  type ModeTotals,
  openPriceOf,
  type PricePoint,
  runCascade,
  type UnloadOptions,
} from './cascade-sim.ts';
import { dynamicPolicies } from './dynamic-policy.ts';
import { type HistorySpec, historyOf, loadHistory } from './histories.ts';
import type { AntiCascadeMechanism } from './mechanisms.ts';
import { DEFAULT_POLICIES, type MarginPolicy, tieredPolicy, venueFor } from './policies.ts';
import { POLICY_NAMES, policiesByName } from './policy-registry.ts';
import { DEFAULT_RESPONSE_SPEC, type ResponseSpec, responseOptions } from './responders.ts';

export const BOOK_DEPTH_FILE = 'BTCUSDT-bookDepth-2025-10-10.csv';
/** Assumed order of magnitude of Binance BTCUSDT perpetual open interest, BTC (see the header). */
export const REFERENCE_OPEN_INTEREST_BASE = 90_000;
/**
 * Parametric fallback: 2,500 × k^0.85 BTC within k % of the mid, close to the medians of the
 * sound bid sides of the 2025-10-10 snapshots (00:00–15:30 UTC: 2,521 / 5,810 / 8,355 /
 * 9,348 / 10,051 BTC within 1..5 %).
 */
export const PARAMETRIC_DEPTH: ParametricDepthOptions = { depthPerPct: 2_500, exponent: 0.85 };

export interface CompareOptions {
  /** A bundled crash id; ignored when `history` is given. */
  readonly crash: string;
  /** The history to run (default: the crash `crash`); see lab/histories.ts. */
  readonly history?: HistorySpec;
  readonly accounts: number;
  readonly seed: number;
  readonly policies?: readonly MarginPolicy[];
  /** 'auto': real snapshots where bundled (2025-10-10), else parametric. */
  readonly depth?: 'auto' | 'real' | 'parametric' | 'infinite';
  /** Multiplier of the source depth, or 'auto' (population OI / reference OI). */
  readonly depthScale?: number | 'auto';
  readonly referenceOpenInterestBase?: number;
  readonly parametric?: ParametricDepthOptions;
  /** Thinning, gap, resilience (defaults: off for real snapshots, on for parametric). */
  readonly book?: Omit<BookModelOptions, 'depthScale'>;
  readonly keeper?: Partial<KeeperOptions>;
  readonly unload?: Partial<UnloadOptions>;
  readonly sizing?: 'collateral' | 'positions';
  /** Only the part of the window in [fromMs, toMs]. */
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly spec?: Partial<Omit<PopulationSpec, 'accounts' | 'seed'>>;
  /** Traders who respond to margin calls (defaults `DEFAULT_RESPONSE_SPEC`, seeded with `seed`); none if absent. */
  readonly responses?: Partial<Omit<ResponseSpec, 'seed'>>;
  /**
   * Where the marks come from: 'klines' (default) — the exogenous path displaced by the book, as
   * `prices` commands; 'oracle' — the day's real multi-source observations, displaced by the book,
   * through the engine's `oracle` command (only crashes with several sources: `hasOracleFeed`).
   */
  readonly prices?: 'oracle' | 'klines';
  /** An anti-cascade mechanism applied to every run (./mechanisms.ts); absent: none. */
  readonly mechanism?: AntiCascadeMechanism;
}

export interface ComparisonBook {
  readonly source: 'real' | 'parametric' | 'infinite';
  readonly depthScale: number;
  readonly repair: RepairStats | undefined;
}

export interface Comparison {
  readonly rows: CascadeMetrics[];
  readonly results: CascadeResult[];
  readonly book: ComparisonBook;
  readonly insuranceSeed: string;
  readonly path: { readonly from: number; readonly to: number; readonly points: number };
  readonly history: { readonly id: string; readonly description: string };
}

/** The exogenous path of a bundled crash, optionally cut to [fromMs, toMs]. */
export function crashPath(crash: string, fromMs?: number, toMs?: number): PricePoint[] {
  const klines = loadWindowKlines(crash).filter(
    (k) => (fromMs === undefined || k.openTimeMs >= fromMs) && (toMs === undefined || k.openTimeMs <= toMs),
  );
  if (klines.length === 0) throw new RangeError('no bars in the requested part of the window');
  return klinePoints(klines, labWindow(crash).intervalMs);
}

let cachedSnapshots: { snapshots: ReturnType<typeof repairPhantomBids> } | undefined;
function realSnapshots() {
  if (!cachedSnapshots)
    cachedSnapshots = { snapshots: repairPhantomBids(readBookDepthSnapshots(DATA_DIR + BOOK_DEPTH_FILE)) };
  return cachedSnapshots.snapshots;
}

/** Runs every policy over the same path, traders and book (see the module header). */
export function runComparison(opts: CompareOptions): Comparison {
  const policies = opts.policies ?? DEFAULT_POLICIES;
  if (policies.length === 0) throw new RangeError('no policies to compare');
  const history = loadHistory(opts.history ?? { kind: 'crash', id: opts.crash }, opts.fromMs, opts.toMs);
  const path = history.points;
  const spec0 = opts.history ?? { kind: 'crash', id: opts.crash };
  const oracleDay = spec0.kind === 'crash' && hasOracleFeed(spec0.id) ? spec0.id : undefined;
  if (opts.prices === 'oracle' && oracleDay === undefined)
    throw new RangeError(`${history.id} has a single price series: no oracle feed (use prices 'klines')`);
  const spec: PopulationSpec = {
    ...LAB_POPULATION_SPEC,
    ...opts.spec,
    accounts: opts.accounts,
    seed: opts.seed,
  };
  const intents = drawTraders(spec);

  // The venue's own margin fixes what every run shares: insurance seed and book scale.
  const openPrice = openPriceOf(path);
  const baseline = materialize(intents, venueFor(tieredPolicy(), { openPrice, startMs: path[0]!.timeMs }), {
    openPrice,
    timeMs: path[0]!.timeMs,
  });
  const gross = parseDecimalUnsafe(baseline.summary.grossNotional, 6);
  const insuranceSeed = formatDecimal((gross * INSURANCE_SEED_PPM) / 1_000_000n, 6);
  const venueOiBase = Number(baseline.summary.longSize) + Number(baseline.summary.shortSize);

  const kind =
    opts.depth === undefined || opts.depth === 'auto'
      ? history.realDepth
        ? 'real'
        : 'parametric'
      : opts.depth;
  let repair: RepairStats | undefined;
  let makeSource: () => DepthSource;
  let bookDefaults: Omit<BookModelOptions, 'depthScale'> = {};
  if (kind === 'real') {
    const r = realSnapshots();
    repair = r.stats;
    makeSource = () => bandedDepthSource(r.snapshots);
    bookDefaults = { thinning: NO_THINNING, gap: NO_GAP };
  } else if (kind === 'parametric') {
    makeSource = () => parametricDepthSource(opts.parametric ?? PARAMETRIC_DEPTH);
  } else makeSource = () => infiniteDepthSource();
  const depthScale =
    opts.depthScale === undefined || opts.depthScale === 'auto'
      ? venueOiBase / (opts.referenceOpenInterestBase ?? REFERENCE_OPEN_INTEREST_BASE)
      : opts.depthScale;
  const bookOptions: BookModelOptions = {
    ...bookDefaults,
    ...opts.book,
    thinning: { ...bookDefaults.thinning, ...opts.book?.thinning },
    gap: { ...bookDefaults.gap, ...opts.book?.gap },
    depthScale,
  };

  const results: CascadeResult[] = [];
  let first: CascadeResult | undefined;
  for (const policy of policies) {
    const r = runCascade({
      path,
      intents,
      policy,
      book: new BookModel(makeSource(), bookOptions),
      insuranceSeed,
      ...(opts.keeper ? { keeper: opts.keeper } : {}),
      ...(opts.unload ? { unload: opts.unload } : {}),
      ...(opts.sizing === 'positions' && first ? { sizing: { positionsFrom: first.population } } : {}),
      ...(opts.responses
        ? { responses: { ...DEFAULT_RESPONSE_SPEC, ...opts.responses, seed: opts.seed } }
        : {}),
      recordLiquidations: false,
      ...(opts.prices === 'oracle' && oracleDay !== undefined ? { oracle: oracleDay } : {}),
      ...(opts.mechanism ? { mechanism: opts.mechanism } : {}),
      ...(spec.behaviour ? { rampEveryMinutes: spec.behaviour.rampEveryMinutes } : {}),
    });
    first ??= r;
    results.push(r);
  }
  return {
    rows: results.map((r) => r.metrics),
    results,
    book: { source: kind, depthScale, repair },
    insuranceSeed,
    path: { from: path[0]!.timeMs, to: path[path.length - 1]!.timeMs, points: path.length },
    history: { id: history.id, description: history.description },
  };
}

const num = (s: string, digits = 0) =>
  Number(s).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

/** A fixed-width table, one row per policy. */
export function formatTable(rows: readonly CascadeMetrics[]): string {
  const head = [
    'policy',
    'opened',
    'OI USDC',
    'IM/OI',
    'liqs p/f/b(/t)',
    'liq notional',
    'hit',
    'bad debt',
    'IF end',
    'IF maxDD',
    'ADL fills',
    'ADL notional',
    'socialized',
    'peak depth',
    'induced',
    'lat p50/p95 s',
    'impact ↓/↑',
  ];
  const body = rows.map((m) => [
    m.policy,
    String(m.population.opened),
    num(m.openInterest.traderNotional),
    pct(m.capitalEfficiency.start.ratio),
    `${m.liquidations.partial.count}/${m.liquidations.full.count}/${m.liquidations.bankrupt.count}` +
      (m.liquidations.backstop.count > 0 ? `/${m.liquidations.backstop.count}` : ''),
    num(m.liquidations.notional),
    String(m.liquidations.traders),
    num(m.badDebt.total),
    num(m.insuranceFund.end),
    num(m.insuranceFund.maxDrawdown),
    String(m.adl.fills),
    num(m.adl.notional),
    num(m.socializedLoss),
    String(m.cascade.peakDepth),
    String(m.cascade.induced),
    `${(m.latency.p50Ms / 1000).toFixed(1)}/${(m.latency.p95Ms / 1000).toFixed(1)}`,
    `${pct(m.cascade.maxDisplacement, 1)}/+${pct(m.cascade.maxDisplacementUp, 1)}`,
  ]);
  // Margin-call responses, only when some run had responders (keeps the plain table as it was).
  if (rows.some((m) => m.responses.responders > 0)) {
    head.push('calls', 'deposits d/USDC', 'reduce r/BTC');
    rows.forEach((m, i) => {
      const r = m.responses;
      body[i]!.push(
        String(r.calls),
        `${r.deposits.count}/${num(r.deposits.amount)}`,
        `${r.reductions.count}/${Number(r.reductions.size).toFixed(3)}`,
      );
    });
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * Liquidations by mode with their notional, bad debt, insurance drawdown, ADL / socialized loss,
 * peak cascade depth and capital efficiency: the risk lab's report table (README, docs/risk-lab.md).
 */
export function formatModesTable(rows: readonly CascadeMetrics[]): string {
  const head = [
    'policy',
    'IM/OI',
    'IM/OI mean',
    'partial n / USDC',
    'full n / USDC',
    'bankrupt n / USDC',
    'bad debt',
    'IF maxDD',
    'ADL n / USDC',
    'socialized',
    'peak depth',
  ];
  const mode = (x: ModeTotals) => `${x.count} / ${num(x.notional)}`;
  const body = rows.map((m) => [
    m.policy,
    pct(m.capitalEfficiency.start.ratio),
    pct(m.capitalEfficiency.mean),
    mode(m.liquidations.partial),
    mode(m.liquidations.full),
    mode(m.liquidations.bankrupt),
    num(m.badDebt.total),
    num(m.insuranceFund.maxDrawdown),
    `${m.adl.fills} / ${num(m.adl.notional)}`,
    num(m.socializedLoss),
    String(m.cascade.peakDepth),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Per policy, the `n` minutes with the most liquidation steps: the cascades, made visible. */
export function formatWorstMinutes(results: readonly CascadeResult[], n = 3): string {
  const out: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  for (const r of results) {
    const worst = [...r.timeline]
      .filter((m) => m.liquidations > 0)
      .sort((a, b) => b.liquidations - a.liquidations || a.timeMs - b.timeMs)
      .slice(0, n)
      .sort((a, b) => a.timeMs - b.timeMs);
    const cells = worst.map((m) => {
      const up = m.displacementHigh > -m.displacementLow;
      const mark = up
        ? `mark high ${num(m.markHigh)} (+${pct(m.displacementHigh, 1)})`
        : `mark low ${num(m.markLow)} (${pct(m.displacementLow, 1)})`;
      return `${iso(m.timeMs)} ${m.liquidations} steps, depth ${m.maxDepth}, exo ${num(m.exogenous)} → ${mark}`;
    });
    out.push(`${r.metrics.policy.padEnd(20)} ${cells.length === 0 ? 'no liquidations' : cells.join(' · ')}`);
  }
  return out.join('\n');
}

/** A share in [0, 1] from a flag, or a RangeError naming the flag. */
export function shareOf(text: string, flag: string): number {
  const x = Number(text);
  if (!/^[0-9]*\.?[0-9]+$/.test(text) || !(x >= 0 && x <= 1))
    throw new RangeError(`${flag} must be a share in [0, 1], got ${text}`);
  return x;
}

/** One line per run with an account-level requirement (the portfolio policy): what it would charge. */
export function formatAccountLevel(rows: readonly CascadeMetrics[]): string {
  const out: string[] = [];
  for (const m of rows) {
    const a = m.capitalEfficiency.accountLevel;
    if (!a) continue;
    const h = a.hedged;
    out.push(
      `${m.policy}: engine IM/OI ${pct(m.capitalEfficiency.start.ratio)} (${a.portfolioAccounts} traders in the engine's portfolio mode, the rest on the per-market model with leverage caps) · account-level scenario IM/OI ${pct(a.ratio)} (no caps)` +
        (h.traders > 0
          ? ` · ${h.traders} hedged traders: market-model IM ${num(String(h.engineIm))} vs scenario IM ${num(String(h.accountIm))} USDC`
          : ' · no hedged traders (--hedged)'),
    );
  }
  return out.join('\n');
}

/**
 * With the oracle feed: per policy, what the engine's oracle made of the displaced observations
 * (safe mode, breaker, scopes held). Empty on a kline run.
 */
export function formatOracle(rows: readonly CascadeMetrics[]): string {
  const out: string[] = [];
  for (const m of rows) {
    const o = m.oracle;
    if (!o) continue;
    const secs = o.safeMode.periods.reduce((a, p) => a + (p.seconds ?? 0), 0);
    out.push(
      `${m.policy}: guarded mark low ${num(o.markLow, 2)} at ${o.markLowAt.slice(11)} · safe mode ${o.safeMode.entered}× (${Math.round(secs)} s) · breaker ${o.breaker.trips} trips · liquidations held at ${o.held.ticks} ticks (at most ${o.held.maxScopes} scopes)`,
    );
  }
  return out.length === 0
    ? ''
    : `Oracle (${rows.find((m) => m.oracle)!.oracle!.steps.toLocaleString('en-US')} ticks of the day's observations, displaced by the book):\n${out.join('\n')}`;
}

const HELP = `usage: npx tsx src/sim/lab/compare.ts [options]

  --crash ID            2025-10-10 | 2020-03-12 | 2021-05-19 | 2022-06-18 | 2022-11-09 | 2020-03-12-eth | 2021-05-19-eth (default 2025-10-10)
  --path MODEL          a seeded synthetic path instead: gbm | jump | regime
                        (src/sim/lab/histories.ts; seeded by --seed)
  --minutes N           length of the synthetic path (default 1440)
  --policies LIST       comma-separated policy names (${POLICY_NAMES.join(', ')})
  --accounts N          traders (default 1000)
  --seed S              population seed (default 42)
  --depth KIND          auto | real | parametric | infinite (default auto)
  --depth-scale X       multiplier of the source depth, or auto (default auto)
  --reference-oi BTC    reference open interest for --depth-scale auto (default ${REFERENCE_OPEN_INTEREST_BASE})
  --sizing MODE         collateral | positions (default collateral)
  --from HH:MM          start of the part of the window (UTC, the window's day)
  --to HH:MM            end of it
  --keeper-delay MS     price update → first round (default 2000)
  --round-ms MS         per liquidation round (default 1000)
  --max-per-round N     liquidation steps per round (default 250)
  --resilience F        share of the impact that recovers per minute (default 0.5)
  --unload-limit F      the backstop never pushes the mid further than F from the
                        exogenous price (default 0.1)
  --dynamic             also run the dynamic and predictive policies
                        (dynamic-ewma, dynamic-garch, dynamic-har, predictive-ewma;
                        src/sim/lab/dynamic-policy.ts)
  --hedged F            share of cash-and-carry traders (BTC collateral, short perpetual
                        at leverage 1; default 0)
  --responders F        share of traders who respond to margin calls (default: none;
                        src/sim/lab/responders.ts for the rest of the defaults)
  --response-delay MIN  median minutes from the call to the response (default 5; 0 = at once)
  --response-deposit P  probability that a response is a deposit, else a reduction (default 0.5)
  --prices SOURCE       oracle | klines: the day's multi-source observations through the engine's
                        oracle (2025-10-10), or the kline path as prices commands (default klines)
  --json                metrics as JSON instead of the table`;

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      crash: { type: 'string' },
      path: { type: 'string' },
      minutes: { type: 'string' },
      policies: { type: 'string' },
      accounts: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '42' },
      depth: { type: 'string', default: 'auto' },
      'depth-scale': { type: 'string', default: 'auto' },
      'reference-oi': { type: 'string' },
      sizing: { type: 'string', default: 'collateral' },
      from: { type: 'string' },
      to: { type: 'string' },
      'keeper-delay': { type: 'string' },
      'round-ms': { type: 'string' },
      'max-per-round': { type: 'string' },
      resilience: { type: 'string' },
      'unload-limit': { type: 'string' },
      json: { type: 'boolean', default: false },
      dynamic: { type: 'boolean', default: false },
      responders: { type: 'string' },
      hedged: { type: 'string' },
      'response-delay': { type: 'string' },
      'response-deposit': { type: 'string' },
      prices: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const int = (s: string | undefined, what: string) => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`--${what} must be a whole number, got ${s}`);
    return n;
  };
  const depth = values.depth as CompareOptions['depth'];
  if (!['auto', 'real', 'parametric', 'infinite'].includes(depth as string))
    throw new RangeError(`--depth must be auto, real, parametric or infinite`);
  const sizing = values.sizing as 'collateral' | 'positions';
  if (sizing !== 'collateral' && sizing !== 'positions')
    throw new RangeError('--sizing: collateral | positions');
  const seed = int(values.seed, 'seed') ?? 42;
  const history = historyOf({
    ...(values.crash !== undefined ? { crash: values.crash } : {}),
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(values.minutes !== undefined ? { minutes: int(values.minutes, 'minutes')! } : {}),
    seed,
  });
  const whole = loadHistory(history);
  const day = Math.floor(whole.points[0]!.timeMs / 86_400_000) * 86_400_000;
  const policies =
    values.policies !== undefined
      ? policiesByName(values.policies)
      : values.dynamic
        ? [...DEFAULT_POLICIES, ...dynamicPolicies()]
        : undefined;
  const hhmm = (s: string | undefined) => {
    if (s === undefined) return undefined;
    const m = /^(\d{1,2}):(\d{2})$/.exec(s);
    if (!m) throw new RangeError(`times are HH:MM, got ${s}`);
    return day + (Number(m[1]) * 60 + Number(m[2])) * 60_000;
  };
  const keeper: Partial<KeeperOptions> = {};
  const kd = int(values['keeper-delay'], 'keeper-delay');
  const rm = int(values['round-ms'], 'round-ms');
  const mp = int(values['max-per-round'], 'max-per-round');
  if (kd !== undefined) (keeper as { delayMs: number }).delayMs = kd;
  if (rm !== undefined) (keeper as { roundMs: number }).roundMs = rm;
  if (mp !== undefined) (keeper as { maxPerRound: number }).maxPerRound = mp;
  const scale = values['depth-scale'] === 'auto' ? 'auto' : Number(values['depth-scale']);
  if (scale !== 'auto' && !(scale > 0)) throw new RangeError('--depth-scale must be > 0 or auto');
  const fromMs = hhmm(values.from);
  const toMs = hhmm(values.to);
  if (values.prices !== undefined && values.prices !== 'oracle' && values.prices !== 'klines')
    throw new RangeError('--prices: oracle | klines');
  const prices = (values.prices as 'oracle' | 'klines' | undefined) ?? 'klines';
  const t0 = performance.now();
  const cmp = runComparison({
    crash: whole.id,
    history,
    accounts: int(values.accounts, 'accounts') ?? 1000,
    seed,
    depth,
    depthScale: scale,
    ...(values['reference-oi'] !== undefined
      ? { referenceOpenInterestBase: Number(values['reference-oi']) }
      : {}),
    sizing,
    prices,
    ...(policies ? { policies } : {}),
    ...(values.hedged !== undefined ? { spec: { hedgedShare: shareOf(values.hedged, '--hedged') } } : {}),
    ...(() => {
      const r = responseOptions({
        responders: values.responders,
        delay: values['response-delay'],
        deposit: values['response-deposit'],
      });
      return r ? { responses: r } : {};
    })(),
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
    keeper,
    ...(values.resilience !== undefined ? { book: { resiliencePerMin: Number(values.resilience) } } : {}),
    ...(values['unload-limit'] !== undefined
      ? { unload: { maxDisplacement: Number(values['unload-limit']) } }
      : {}),
  });
  const wall = (performance.now() - t0) / 1000;
  if (values.json) {
    console.log(
      JSON.stringify(
        { book: cmp.book, insuranceSeed: cmp.insuranceSeed, path: cmp.path, rows: cmp.rows },
        null,
        2,
      ),
    );
    return;
  }
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const r = cmp.book.repair;
  console.log(
    `${history.kind === 'crash' ? 'Crash' : 'Path'} ${whole.id}: ${iso(cmp.path.from)} → ${iso(cmp.path.to)} UTC, ${cmp.path.points} price points · ` +
      `${values.accounts} traders, seed ${values.seed}, sizing ${sizing}`,
  );
  console.log(
    `Book: ${cmp.book.source} depth × ${cmp.book.depthScale.toPrecision(3)}` +
      (r
        ? ` (bookDepth snapshots: ${r.repaired} of ${r.snapshots} bid sides rebuilt from ${iso(r.firstCorruptMs ?? 0)} UTC, phantom ${r.phantom?.depth} BTC @ ${r.phantom?.price.toFixed(2)})`
        : '') +
      ` · insurance seed ${num(cmp.insuranceSeed)} USDC`,
  );
  console.log('');
  console.log(formatTable(cmp.rows));
  console.log('');
  console.log(formatModesTable(cmp.rows));
  console.log('');
  console.log(
    'Busiest minutes (UTC): liquidation steps, deepest cascade, last exogenous price → furthest mark',
  );
  console.log(formatWorstMinutes(cmp.results));
  console.log('');
  const al = formatAccountLevel(cmp.rows);
  if (al) console.log(`${al}\n`);
  const oracle = formatOracle(cmp.rows);
  if (oracle) console.log(`${oracle}\n`);
  const ok = cmp.rows.every((m) => m.conservation.ok);
  console.log(
    `Conservation (INV-01) ${ok ? '✓' : '✗'} in every run · wall time ${wall.toFixed(1)} s` +
      ` · liqs: partial / full / bankrupt (/ backstop takeover) steps; IM/OI: Σ trader IM / Σ trader notional at the start; induced: liquidations at depth ≥ 2;` +
      ` impact: largest move of the mark below / above the exogenous price`,
  );
  if (!ok) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
  }
}
