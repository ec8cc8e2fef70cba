/**
 * Crash replay: a real 1-minute price series driven through the engine against
 * a seeded population, with liquidations, funding, a SQLite journal and the
 * end-of-run checks (INV-01 conservation, INV-02 replay = live).
 *
 * Per bar (one minute): the four points of `klinePath` (open, nearer extreme,
 * farther extreme, close) at open time + 0 s, 20 s, 40 s and 59.999 s. Each point
 * is one `prices` command setting the BTC-PERP mark and the BTC collateral price
 * to the same value (the collateral follows the market), followed by
 * liquidation rounds: the `LiquidationWatch` lists the scopes that crossed,
 * each gets one `liquidate` step (the backstop vault is the liquidator), and
 * rounds repeat until nothing is liquidatable (at most MAX_ROUNDS per point).
 *
 * The walk over the ticks and the funding at 8-hour boundaries are the crash driver's
 * (crash-driver.ts), the same as the risk lab's.
 *
 * Metrics come from the engine's events (`engine.onEvents`), never from
 * re-deriving engine arithmetic.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossView, evaluate } from '../core/account/figures.ts';
import { Engine } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import { ledgerSums } from '../core/engine/invariants.ts';
import {
  type CandidateFinder,
  type KeeperOptions,
  keeperTick,
  liquidationRounds,
} from '../core/keeper/index.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { subaccountKey } from '../core/model/state.ts';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import { type IndexStats, LiquidationPriceIndex, RiskBookFinder } from '../riskbook/index.ts';
import { SqliteJournal } from '../store/sqlite-journal.ts';
import { driveCrash, FUNDING_PREMIUM_INDEX } from './crash-driver.ts';
import { type CrashWindow, crashWindow, loadCrashKlines } from './data/crashes.ts';
import { compareDecimal } from './data/decimal.ts';
import { type Kline, klinePath } from './data/klines.ts';
import { hasOracleFeed, type OracleFacts, OracleFeed, setOracleCommand } from './oracle-feed.ts';
import { demoPopulation, type PopulationSummary } from './population.ts';
import { InsurancePath, RunTotals } from './run-totals.ts';
import { BASE_ASSET, MARKET, SETTLEMENT } from './venue.ts';

/** Offsets of the four intra-bar points within the minute, ms. */
export const PATH_OFFSETS_MS = [0, 20_000, 40_000, 59_999] as const;
/** Bound on liquidation rounds after one price point. */
export const MAX_ROUNDS = 50;

export interface ReplayOptions {
  /** Crash window id (see CRASH_WINDOWS): '2025-10-10', '2020-03-12', '2021-05-19'. */
  readonly crash: string;
  /** Number of traders. */
  readonly accounts: number;
  readonly seed: number;
  /** SQLite journal file (must not exist or be empty); default: a new file in a temp directory. */
  readonly journalPath?: string;
  /**
   * Where the marks come from: 'oracle' — the day's real multi-source observations through the
   * engine's `oracle` command (guarded index and mark, breaker, safe mode; only windows with
   * several sources, see ORACLE_REPLAY_DAYS); 'klines' — the window's one kline series as `prices`
   * commands, four points per bar. Default: 'oracle' where a feed exists, else 'klines'.
   */
  readonly prices?: 'oracle' | 'klines';
  /** Called after each bar. */
  readonly onProgress?: (p: { bar: number; bars: number; liquidations: number }) => void;
}

export interface ModeTotals {
  steps: number;
  /** Σ closed notional at the mark, USDC. */
  notional: string;
}

export interface AssetConservation {
  /** Σ balances + Σ isolated margins − Σ entry values + insurance + fee pool + socialized (settlement asset). */
  readonly ledger: string;
  /** Deposits − withdrawals. */
  readonly netDeposits: string;
  readonly ok: boolean;
}

export interface ReplayMetrics {
  crash: {
    id: string;
    description: string;
    series: string;
    from: string;
    to: string;
    bars: number;
    pricePoints: number;
    /** 'oracle': guarded marks from the multi-source feed; 'klines': the kline path as `prices`. */
    prices: 'oracle' | 'klines';
  };
  /** What the oracle made of the observations (only with prices 'oracle'). */
  oracle?: OracleFacts;
  price: { open: string; low: string; lowAt: string; high: string; close: string };
  population: PopulationSummary & {
    /** Number of market makers and the deposit of each, and the backstop vault's deposit (USDC). */
    marketMakers: number;
    marketMakerDeposit: string;
    backstopDeposit: string;
    seed: number;
  };
  liquidations: {
    partial: ModeTotals;
    full: ModeTotals;
    bankrupt: ModeTotals;
    /** Backstop takeovers (only with a backstopBelowMaintenanceShare policy). */
    backstop: ModeTotals;
    /** Distinct scopes / subaccounts that were liquidated at least once. */
    scopesLiquidated: number;
    tradersLiquidated: number;
    liquidatorRewards: string;
    /** Liquidation fees paid into the insurance fund. */
    insuranceFees: string;
    /** Rejected liquidate commands by code (stale candidates, caps, ...). */
    rejected: Record<string, number>;
  };
  insuranceFund: {
    asset: string;
    start: string;
    min: string;
    max: string;
    end: string;
    /** Paid out to cover bankrupt scopes. */
    covered: string;
    /** Non-settlement collateral seized from bankrupt scopes, per asset. */
    seized: Record<string, string>;
  };
  adl: { fills: number; size: string; notional: string };
  socializedLoss: string;
  fees: { trading: string; feePoolEnd: string };
  funding: { ticks: number; premiumIndex: string; rates: string[] };
  backstopVault: { account: string; position: string; equity: string; deposit: string; pnl: string };
  /** The keeper's candidate finder. */
  finder: string;
  /** The liquidation-price index's work (kline path only). */
  watch?: IndexStats;
  conservation: { ok: boolean; assets: Record<string, AssetConservation> };
  replay: { identical: boolean; liveHash: string; replayedHash: string; events: number };
}

export interface ReplayResult {
  readonly metrics: ReplayMetrics;
  /** Not deterministic: wall-clock figures and the journal location. */
  readonly run: {
    wallTimeMs: number;
    setupMs: number;
    replayMs: number;
    checkMs: number;
    journalPath: string;
  };
}

/**
 * INV-01 (docs/invariants.md) for every asset: the ledger sum equals net deposits.
 * Settlement asset: Σ balances + Σ isolated margins − Σ entry values + insurance
 * + fee pool + socialized-loss ledger; other assets: Σ balances + insurance.
 */
export function conservation(state: ReadonlyEngineState): {
  ok: boolean;
  assets: Record<string, AssetConservation>;
} {
  const assets: Record<string, AssetConservation> = {};
  let ok = true;
  for (const [id, { ledger, netDeposits }] of ledgerSums(state)) {
    const fmt = (v: bigint) => formatDecimal(v, state.assets.get(id)!.decimals);
    assets[id] = { ledger: fmt(ledger), netDeposits: fmt(netDeposits), ok: ledger === netDeposits };
    if (ledger !== netDeposits) ok = false;
  }
  return { ok, assets };
}

const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function priceFacts(klines: readonly Kline[]): ReplayMetrics['price'] {
  let low = klines[0]!;
  let high = klines[0]!;
  for (const k of klines) {
    if (compareDecimal(k.low, low.low) < 0) low = k;
    if (compareDecimal(k.high, high.high) > 0) high = k;
  }
  return {
    open: klines[0]!.open,
    low: low.low,
    lowAt: `${isoMinute(low.openTimeMs)} UTC`,
    high: high.high,
    close: klines[klines.length - 1]!.close,
  };
}

/** A fresh journal path in a new temporary directory. */
export function tempJournalPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'plimsoll-demo-')), 'journal.sqlite');
}

/**
 * Replays a bundled crash against a seeded population.
 *
 * @example
 * const { metrics } = runCrashReplay({ crash: '2025-10-10', accounts: 300, seed: 42 });
 * metrics.conservation.ok && metrics.replay.identical; // true
 */
export function runCrashReplay(opts: ReplayOptions): ReplayResult {
  const t0 = performance.now();
  const window: CrashWindow = crashWindow(opts.crash);
  const klines = loadCrashKlines(opts.crash);
  const first = klines[0]!;
  const pop = demoPopulation({
    accounts: opts.accounts,
    seed: opts.seed,
    openPrice: first.open,
    timeMs: first.openTimeMs,
  });
  const journalPath = opts.journalPath ?? tempJournalPath();
  const journal = SqliteJournal.open(journalPath);
  let engine: Engine;
  try {
    engine = Engine.create(pop.config, { journal });
  } catch (e) {
    journal.close();
    throw e;
  }
  const state = engine.state;
  const qd = state.settlement.decimals;
  const usd = (v: bigint) => formatDecimal(v, qd);

  // --- metrics from events -------------------------------------------------------------
  const traderKeys = new Set(pop.traders.map((t) => subaccountKey(t.ref)));
  const totals = new RunTotals(traderKeys);
  const insurance = new InsurancePath();
  const fundingRates: string[] = [];
  const ins = () => state.insurance.get(SETTLEMENT) ?? 0n;
  engine.onEvents((events: readonly Sequenced[]) => {
    for (const e of events) {
      totals.observe(e);
      if (e.type === 'funding_settled') fundingRates.push(formatDecimal(e.rate9, 9));
    }
    insurance.sample(ins());
  });
  // --- setup ---------------------------------------------------------------------------
  for (const c of pop.setup) {
    const r = engine.execute(c);
    if (!r.ok) {
      journal.close();
      throw new Error(`setup command ${c.type} rejected: ${r.rejection.code}: ${r.rejection.message}`);
    }
  }
  // With a multi-source feed, the market's mark comes from its guarded oracle from here on.
  const oracleFeed =
    (opts.prices ?? (hasOracleFeed(opts.crash) ? 'oracle' : 'klines')) === 'oracle' &&
    hasOracleFeed(opts.crash)
      ? new OracleFeed(
          opts.crash,
          first.openTimeMs,
          klines[klines.length - 1]!.openTimeMs + window.intervalMs - 1,
          MARKET,
          engine,
        )
      : undefined;
  if (opts.prices === 'oracle' && !oracleFeed) {
    journal.close();
    throw new Error(`crash ${opts.crash} has a single price series: no oracle feed (use prices 'klines')`);
  }
  if (oracleFeed) {
    const r = engine.execute(setOracleCommand(MARKET));
    if (!r.ok) {
      journal.close();
      throw new Error(`set_oracle rejected: ${r.rejection.code}: ${r.rejection.message}`);
    }
    oracleFeed.start(first.openTimeMs);
  }
  // The finder: the exact liquidation-price index for the kline path (a few thousand points); the
  // float risk book for the oracle feed, whose every tick also re-prices the BTC collateral (the
  // index would evaluate every BTC-collateral scope exactly at each of its ~28,000 ticks).
  const index = oracleFeed ? undefined : new LiquidationPriceIndex(engine);
  const finder: CandidateFinder = index ?? new RiskBookFinder(engine);
  const insStart = ins();
  insurance.start(insStart);
  const tSetup = performance.now();

  // --- replay --------------------------------------------------------------------------
  const rejected: Record<string, number> = {};
  const keeper: KeeperOptions = { finder, maxRounds: MAX_ROUNDS };
  const tally = (r: { rejected: Record<string, number>; capped: boolean }) => {
    for (const [code, n] of Object.entries(r.rejected)) rejected[code] = (rejected[code] ?? 0) + n;
    if (r.capped) rejected.ROUND_LIMIT = (rejected.ROUND_LIMIT ?? 0) + 1;
  };
  const exec = (c: Parameters<Engine['executeOrThrow']>[0]) => {
    try {
      engine.executeOrThrow(c);
    } catch (e) {
      journal.close();
      throw e;
    }
  };

  const fundingAt = (timeMs: number) => {
    exec({ type: 'funding_tick', market: MARKET, timeMs, premiumIndex: FUNDING_PREMIUM_INDEX });
    tally(liquidationRounds(engine, timeMs, keeper));
  };
  const progress = (bar: number) =>
    opts.onProgress?.({ bar, bars: klines.length, liquidations: totals.totalSteps() });

  const points = oracleFeed
    ? driveOracleTicks(
        engine,
        oracleFeed,
        keeper,
        { first: first.openTimeMs, bars: klines.length },
        fundingAt,
        tally,
        progress,
      )
    : driveKlinePoints(engine, klines, keeper, fundingAt, tally, progress, (timeMs, codes) => {
        journal.close();
        throw new Error(`prices at ${timeMs} rejected: ${JSON.stringify(codes)}`);
      });
  const tReplay = performance.now();

  // --- checks --------------------------------------------------------------------------
  const cons = conservation(state);
  const liveHash = engine.stateHash();
  const events = state.seq;
  const backstop = state.subaccounts.get(subaccountKey(pop.backstop))!;
  const bf = evaluate(state, crossView(backstop));
  const bpos = backstop.positions.get(MARKET)?.size ?? 0n;
  const backstopDeposit = parseDecimalUnsafe(pop.deposits.backstop, qd);
  journal.close();
  const reopened = SqliteJournal.open(journalPath);
  let replayedHash: string;
  try {
    replayedHash = Engine.open(reopened).stateHash();
  } finally {
    reopened.close();
  }
  const tEnd = performance.now();

  const metrics: ReplayMetrics = {
    crash: {
      id: window.id,
      description: window.description,
      series: window.series,
      from: `${isoMinute(first.openTimeMs)} UTC`,
      to: `${isoMinute(klines[klines.length - 1]!.openTimeMs + window.intervalMs - 1)} UTC`,
      bars: klines.length,
      pricePoints: points,
      prices: oracleFeed ? 'oracle' : 'klines',
    },
    ...(oracleFeed ? { oracle: oracleFeed.facts() } : {}),
    price: priceFacts(klines),
    population: {
      ...pop.summary,
      marketMakers: pop.marketMakers.length,
      marketMakerDeposit: pop.deposits.marketMaker,
      backstopDeposit: pop.deposits.backstop,
      seed: opts.seed,
    },
    liquidations: {
      partial: { steps: totals.modes.partial.steps, notional: usd(totals.modes.partial.notional) },
      full: { steps: totals.modes.full.steps, notional: usd(totals.modes.full.notional) },
      bankrupt: { steps: totals.modes.bankrupt.steps, notional: usd(totals.modes.bankrupt.notional) },
      backstop: { steps: totals.modes.backstop.steps, notional: usd(totals.modes.backstop.notional) },
      scopesLiquidated: totals.scopesHit.size,
      tradersLiquidated: totals.tradersHit.size,
      liquidatorRewards: usd(totals.rewards),
      insuranceFees: usd(totals.insuranceFees),
      rejected,
    },
    insuranceFund: {
      asset: SETTLEMENT,
      start: usd(insStart),
      min: usd(insurance.min),
      max: usd(insurance.max),
      end: usd(ins()),
      covered: usd(totals.covered),
      seized: Object.fromEntries(
        [...totals.seized].map(([a, v]) => [a, formatDecimal(v, state.assets.get(a)!.decimals)] as const),
      ),
    },
    adl: { fills: totals.adlFills, size: formatDecimal(totals.adlQty, 9), notional: usd(totals.adlNotional) },
    socializedLoss: usd(totals.socialized),
    fees: { trading: usd(totals.tradingFees), feePoolEnd: usd(state.feePool) },
    funding: { ticks: fundingRates.length, premiumIndex: FUNDING_PREMIUM_INDEX, rates: fundingRates },
    backstopVault: {
      account: pop.backstop.account,
      position: formatDecimal(bpos, 9),
      equity: usd(bf.equityQuote),
      deposit: usd(backstopDeposit),
      pnl: usd(bf.netValueQuote - backstopDeposit),
    },
    finder: finder.name,
    ...(index ? { watch: { ...index.stats } } : {}),
    conservation: cons,
    replay: { identical: liveHash === replayedHash, liveHash, replayedHash, events },
  };
  return {
    metrics,
    run: {
      wallTimeMs: Math.round(tEnd - t0),
      setupMs: Math.round(tSetup - t0),
      replayMs: Math.round(tReplay - tSetup),
      checkMs: Math.round(tEnd - tReplay),
      journalPath,
    },
  };
}

type Tally = (r: { rejected: Record<string, number>; capped: boolean }) => void;

/**
 * The oracle feed: one keeper tick per observation time (and whole minute) — the observations
 * go to the engine's `oracle` command, the BTC collateral follows the guarded mark, then
 * liquidation rounds; funding by the crash driver. Returns the ticks driven.
 */
function driveOracleTicks(
  engine: Engine,
  feed: OracleFeed,
  keeper: KeeperOptions,
  window: { first: number; bars: number },
  fundingAt: (timeMs: number) => void,
  tally: Tally,
  progress: (bar: number) => void,
): number {
  const oracleKeeper: KeeperOptions = { ...keeper, assetsFollowMarks: { [BASE_ASSET]: MARKET } };
  let bar = 0;
  const ticks = feed.steps.map((step) => ({ timeMs: step.nowMs, step }));
  return driveCrash(ticks, {
    startMs: window.first,
    funding: fundingAt,
    tick: ({ step }) => {
      const tick = keeperTick(
        engine,
        { timeMs: step.nowMs, observations: [{ market: MARKET, inputs: step.inputs }] },
        oracleKeeper,
      );
      tally(tick);
      feed.observe(step.nowMs, step.inputs.length, tick);
      const b = Math.min(window.bars, Math.floor((step.nowMs - window.first) / 60_000) + 1);
      if (b !== bar) progress((bar = b));
    },
  });
}

/**
 * The kline series: four `prices` points per bar (`klinePath`), each one keeper tick; funding by
 * the crash driver. Returns the points driven.
 */
function driveKlinePoints(
  engine: Engine,
  klines: readonly Kline[],
  keeper: KeeperOptions,
  fundingAt: (timeMs: number) => void,
  tally: Tally,
  progress: (bar: number) => void,
  onRejected: (timeMs: number, codes: Record<string, number>) => never,
): number {
  const points = klines.flatMap((k, bar) =>
    klinePath(k).map((px, i, path) => ({
      timeMs: k.openTimeMs + PATH_OFFSETS_MS[i]!,
      px,
      bar,
      last: i === path.length - 1,
    })),
  );
  return driveCrash(points, {
    startMs: klines[0]!.openTimeMs,
    funding: fundingAt,
    tick: ({ timeMs, px, bar, last }) => {
      const tick = keeperTick(
        engine,
        { timeMs, prices: [{ marks: { [MARKET]: px }, assets: { [BASE_ASSET]: px } }] },
        keeper,
      );
      if (Object.keys(tick.priceRejected).length > 0) onRejected(timeMs, tick.priceRejected);
      tally(tick);
      if (last) progress(bar + 1);
    },
  });
}
