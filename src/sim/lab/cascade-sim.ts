/**
 * Liquidation-cascade simulator: drives the real engine through an exogenous
 * price path plus the endogenous impact of liquidation sales on a book model.
 *
 * Per exogenous price point (the real crash klines via `klinePoints`, or any array
 * via `arrayPoints`):
 * 1. the book model observes the point (volatility, thinning, gap, decay of the
 *    displacement); the engine's mark (and the BTC collateral price) becomes
 *    exogenous × (1 + displacement), sent as `prices` commands split so that no
 *    update moves more than 90 % of the engine's `maxPriceMove` guard;
 * 2. **rounds**, until nothing is liquidatable: the keeper finds the liquidatable
 *    scopes (risk-book screen, confirmed with exact figures) and sends one
 *    `liquidate` step each (at most `maxPerRound`, oldest first) — unchanged
 *    engine mechanics: the backstop vault takes the position at the engine's
 *    liquidation price, or the bankruptcy waterfall runs (insurance, ADL,
 *    socialized loss); then the backstop **unloads** what it holds into the book
 *    model as fills against the external-liquidity account `STREET` at the walk's
 *    average price (chunked so each fill stays within 95 % of the engine's
 *    `maxFillDeviation` of the mark, and never pushing the mid more than
 *    `maxDisplacement`, default 10 %, from the exogenous price: the rest waits for the
 *    book to recover), and the mark moves to the book's new mid.
 *    That can make more scopes liquidatable: the next round.
 *
 * Timing: round r of a point at time t runs at t + `delayMs` + (r − 1) × `roundMs`
 * (never before the engine's clock); the next point waits for the engine clock
 * if the rounds ran past it.
 *
 * Cascade depth: a scope that becomes liquidatable at an exogenous price point (or a
 * funding tick) is at depth 1; one that becomes liquidatable after round r's sales
 * moved the mark is at depth 1 + the deepest liquidation executed in round r. Every
 * liquidation step carries the depth of its scope's *episode* (from the check that
 * first found it liquidatable until a check finds it healthy or a step restores it).
 *
 * Latency: the `liquidation_completed` event's time minus the time of the price
 * update after which the episode was first found (exogenous point, or the mark move
 * of a round) — keeper delay, per-round processing and queueing when more scopes
 * are liquidatable than the keeper handles per round.
 *
 * Everything is a function of the inputs (no clock, no randomness beyond the
 * population's seed): same inputs, same metrics. Floats are used for the book model
 * and for ratios in the report; every price and size reaches the engine as an exact
 * decimal string (px8, qty9), and all money comes from the engine's own events.
 */

import { crossView, evaluate, isolatedView, type Scope } from '../../core/account/figures.ts';
import type { CommandInput } from '../../core/engine/commands.ts';
import { Engine, type JournalPort } from '../../core/engine/engine.ts';
import type { EngineEvent, Sequenced } from '../../core/engine/events.ts';
import type { SubaccountRef } from '../../core/model/engine-config.ts';
import { subaccountKey } from '../../core/model/state.ts';
import { divRound, formatDecimal, PPM, parseDecimalUnsafe } from '../../core/num/index.ts';
import { RiskBook } from '../../riskbook/index.ts';
import type { Kline } from '../data/klines.ts';
import { klinePath } from '../data/klines.ts';
import type { BookModel } from '../liquidity/depth-model.ts';
import { BACKSTOP, BASE_ASSET, MARKET, SETTLEMENT } from '../population.ts';
import { type AssetConservation, conservation, FUNDING_PREMIUM_INDEX, PATH_OFFSETS_MS } from '../replay.ts';
import { InsurancePath, RunTotals } from '../run-totals.ts';
import type { MarginPolicy, PolicyUpdate } from './policies.ts';
import { venueFor } from './policies.ts';
import {
  type LabPopulation,
  type LabPopulationSummary,
  materialize,
  STREET,
  type TraderIntent,
} from './population.ts';
import { MarginCallDesk, type PendingResponse, type ResponseSpec } from './responders.ts';

/** One exogenous price: time (ms since epoch) and price (decimal string, quote per BTC). */
export interface PricePoint {
  readonly timeMs: number;
  readonly price: string;
}

/** Four points per bar (`klinePath`: open, nearer extreme, farther extreme, close) at +0, 20, 40, 59.999 s. */
export function klinePoints(klines: readonly Kline[]): PricePoint[] {
  const out: PricePoint[] = [];
  for (const k of klines) {
    klinePath(k).forEach((price, i) => {
      out.push({ timeMs: k.openTimeMs + PATH_OFFSETS_MS[i]!, price });
    });
  }
  return out;
}

/** Any series of prices, `stepMs` apart from `startMs` (numbers are written with 8 decimals). */
export function arrayPoints(
  prices: readonly (string | number)[],
  startMs: number,
  stepMs = 15_000,
): PricePoint[] {
  return prices.map((p, i) => ({
    timeMs: startMs + i * stepMs,
    price: typeof p === 'string' ? p : p.toFixed(8),
  }));
}

export interface KeeperOptions {
  /** From the price update to the first liquidation round, ms. */
  readonly delayMs: number;
  /** Processing time of one round (liquidations + unload), ms. */
  readonly roundMs: number;
  /** Liquidation steps the keeper sends per round; the rest wait for the next round. */
  readonly maxPerRound: number;
}

export const DEFAULT_KEEPER: KeeperOptions = { delayMs: 2_000, roundMs: 1_000, maxPerRound: 250 };

export interface UnloadOptions {
  /** false: the backstop keeps what it takes (no impact at all). */
  readonly enabled: boolean;
  /**
   * Largest distance of a fill's average price from the mark, as a share of the engine's
   * `maxFillDeviation` guard (default 0.95); what does not fit waits for the next chunk.
   */
  readonly maxDeviationShare: number;
  /** Fills per round (default 50: in practice the whole inventory); 1 spreads the unload over rounds. */
  readonly chunksPerRound: number;
  /**
   * The backstop's limit: it does not push the book's mid more than this far (fraction) from
   * the exogenous price (default 0.1); what it cannot sell waits for the book to recover.
   */
  readonly maxDisplacement: number;
}

export const DEFAULT_UNLOAD: UnloadOptions = {
  enabled: true,
  maxDeviationShare: 0.95,
  chunksPerRound: 50,
  maxDisplacement: 0.1,
};

export interface CascadeRunOptions {
  /** Exogenous path, strictly increasing in time; the first point is the opening price. */
  readonly path: readonly PricePoint[];
  readonly intents: readonly TraderIntent[];
  readonly policy: MarginPolicy;
  /** A fresh book model for this run (it is stateful). */
  readonly book: BookModel;
  readonly keeper?: Partial<KeeperOptions>;
  /** Population sizing (see lab/population.ts `materialize`). */
  readonly sizing?: 'collateral' | { readonly positionsFrom: LabPopulation };
  /** Insurance-fund seed, USDC decimal (default 0.05 % of the gross notional). */
  readonly insuranceSeed?: string;
  /** How the backstop unloads into the book (default: all of it, every round). */
  readonly unload?: Partial<UnloadOptions>;
  /** Funding ticks at 8-hour boundaries (default true; premium index 0, as the demo). */
  readonly funding?: boolean;
  /** Capital-efficiency samples every this many minutes (default 15). */
  readonly sampleEveryMin?: number;
  /** Bound on rounds per price point (default 200). */
  readonly maxRounds?: number;
  /** Keep every liquidation step in the result (default true). */
  readonly recordLiquidations?: boolean;
  readonly journal?: JournalPort;
  /** Traders who respond to margin calls (lab/responders.ts); default none. */
  readonly responses?: ResponseSpec;
}

/** How a liquidation step closed (the engine's `liquidation_completed.mode`). */
export type LiquidationMode = Extract<EngineEvent, { type: 'liquidation_completed' }>['mode'];

export interface LiquidationRecord {
  readonly timeMs: number;
  readonly sub: string;
  readonly scope: string;
  readonly mode: LiquidationMode;
  /** Cascade depth (1: triggered by the exogenous price). */
  readonly depth: number;
  readonly latencyMs: number;
  /** Closed notional at the mark, USDC. */
  readonly notional: string;
  readonly markPx: string;
}

export interface MinuteRow {
  readonly timeMs: number;
  /** Last exogenous price of the minute; the lowest and highest mark the engine saw in it. */
  readonly exogenous: string;
  readonly markLow: string;
  readonly markHigh: string;
  /** Most negative / most positive displacement of the mark from the exogenous price in the minute, fraction. */
  readonly displacementLow: number;
  readonly displacementHigh: number;
  readonly liquidations: number;
  readonly notional: string;
  readonly maxDepth: number;
  readonly insuranceFund: string;
  readonly thinFactor: number;
  readonly gapPct: number;
}

export interface ModeTotals {
  readonly count: number;
  readonly notional: string;
}

export interface CascadeMetrics {
  readonly policy: string;
  readonly window: { readonly from: number; readonly to: number; readonly points: number };
  readonly population: LabPopulationSummary;
  readonly openInterest: {
    /** Σ |trader notional| at the opening price, USDC. */
    readonly traderNotional: string;
    readonly marketBase: string;
  };
  readonly liquidations: {
    readonly count: number;
    readonly notional: string;
    readonly partial: ModeTotals;
    readonly full: ModeTotals;
    readonly bankrupt: ModeTotals;
    /** Backstop takeovers (a liquidation policy with `backstopBelowMaintenanceShare`). */
    readonly backstop: ModeTotals;
    readonly scopes: number;
    readonly traders: number;
    readonly liquidatorRewards: string;
    readonly insuranceFees: string;
    readonly rejected: Record<string, number>;
  };
  readonly badDebt: {
    readonly insuranceCover: string;
    readonly socializedLoss: string;
    readonly total: string;
  };
  readonly insuranceFund: {
    readonly start: string;
    readonly end: string;
    readonly min: string;
    readonly max: string;
    /** Largest fall from a running peak, USDC. */
    readonly maxDrawdown: string;
    readonly seized: Record<string, string>;
  };
  readonly adl: { readonly fills: number; readonly size: string; readonly notional: string };
  readonly socializedLoss: string;
  readonly cascade: {
    readonly peakDepth: number;
    /** Liquidation steps by depth: index 0 = depth 1. */
    readonly stepsByDepth: number[];
    /** Steps at depth ≥ 2 (liquidations triggered by liquidations). */
    readonly induced: number;
    /** Most negative mark displacement from the exogenous price, fraction. */
    readonly maxDisplacement: number;
    /** Most positive one (the backstop buying back shorts), fraction. */
    readonly maxDisplacementUp: number;
    readonly maxRoundsPerPoint: number;
    /** Backstop sales (−) / purchases (+) into the book. */
    readonly unload: {
      readonly fills: number;
      readonly sold: string;
      readonly bought: string;
      readonly notional: string;
      /** Rounds that ended with inventory left because the book had no room within the limits. */
      readonly deferred: number;
    };
  };
  readonly latency: {
    readonly count: number;
    readonly meanMs: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly maxMs: number;
  };
  readonly capitalEfficiency: {
    /** Σ trader IM / Σ trader notional at the start. */
    readonly start: { readonly initialMargin: string; readonly notional: string; readonly ratio: number };
    readonly samples: { readonly timeMs: number; readonly ratio: number }[];
    readonly mean: number;
    readonly max: number;
    /**
     * With a policy that has an account-level requirement (`accountInitialMargin`, e.g. the
     * portfolio policy): Σ of it over the traders at the start, over the same notional, and the
     * same for the hedged (cash-and-carry) traders alone against the engine's IM of those.
     */
    readonly accountLevel?: {
      readonly initialMargin: number;
      readonly ratio: number;
      /** engineIm: the market model's IM of their positions, without their leverage-1 cap. */
      readonly hedged: { readonly traders: number; readonly engineIm: number; readonly accountIm: number };
      /** Traders who took the engine's portfolio margin mode at the start (it lowered their IM). */
      readonly portfolioAccounts: number;
    };
  };
  readonly prices: { readonly exogenousLow: string; readonly markLow: string };
  readonly backstop: { readonly position: string; readonly pnl: string };
  /** Margin calls and the traders' responses (all zero without `responses`). */
  readonly responses: ResponseMetrics;
  readonly conservation: { readonly ok: boolean; readonly assets: Record<string, AssetConservation> };
}

export interface ResponseMetrics {
  /** Traders who respond to calls. */
  readonly responders: number;
  /** Calls that scheduled a response (a responder's scope at or above the call ratio). */
  readonly calls: number;
  readonly deposits: { readonly count: number; readonly amount: string };
  /** Reducing fills: count, BTC closed, notional at the fill prices (USDC). */
  readonly reductions: { readonly count: number; readonly size: string; readonly notional: string };
  /** Due responses with nothing left to do: the position was gone, or the deposit cap reached / not needed. */
  readonly skipped: number;
  /** Responses still waiting when the path ended. */
  readonly pendingAtEnd: number;
  /** Responses the engine rejected, by code. */
  readonly rejected: Record<string, number>;
}

export interface CascadeResult {
  readonly metrics: CascadeMetrics;
  readonly timeline: MinuteRow[];
  readonly liquidations: LiquidationRecord[];
  readonly population: LabPopulation;
  readonly engine: Engine;
}

const FUNDING_INTERVAL_MS = 8 * 3600 * 1000;
const QTY_STEP_FALLBACK = 1_000_000n;

interface Episode {
  readonly id: string;
  readonly ref: { account: string; sub: string };
  readonly scope: Scope;
  readonly since: number;
  readonly depth: number;
  readonly order: number;
}

/** Decimal string → px8 (half-even past 8 decimals). */
function px8Of(price: string): bigint {
  const dot = price.indexOf('.');
  const decimals = dot < 0 ? 0 : price.length - dot - 1;
  if (decimals <= 8) return parseDecimalUnsafe(price, 8);
  return divRound(parseDecimalUnsafe(price, decimals), 10n ** BigInt(decimals - 8), 'halfEven');
}

const fmtPx = (px8: bigint) => formatDecimal(px8, 8);

/**
 * Tick of the lab venue's BTC-PERP (0.01, px8). The opening fills must be tick multiples, and
 * a window cut from a mark-price series (8 decimals) rarely starts on one.
 */
const OPEN_TICK_PX8 = 1_000_000n;

/** The opening (fill) price of a path as the engine takes it: px8, half-even to the tick, decimal string. */
export function openPriceOf(path: readonly PricePoint[]): string {
  if (path.length === 0) throw new RangeError('empty price path');
  return fmtPx(divRound(px8Of(path[0]!.price), OPEN_TICK_PX8, 'halfEven') * OPEN_TICK_PX8);
}

/**
 * Runs one policy over one path against the population drawn from `intents`.
 *
 * @example
 * const r = runCascade({ path: klinePoints(loadCrashKlines('2025-10-10')), intents, policy: DEFAULT_POLICIES[0]!,
 *                        book: new BookModel(parametricDepthSource({ depthPerPct: 20 })) });
 * r.metrics.cascade.peakDepth; // ≥ 2 when the book is thin
 */
export function runCascade(opts: CascadeRunOptions): CascadeResult {
  if (opts.path.length === 0) throw new RangeError('empty price path');
  for (let i = 1; i < opts.path.length; i++)
    if (!(opts.path[i]!.timeMs > opts.path[i - 1]!.timeMs))
      throw new RangeError(`price path times must increase (point ${i})`);
  const keeper = { ...DEFAULT_KEEPER, ...opts.keeper };
  const maxRounds = opts.maxRounds ?? 200;
  const sampleEvery = opts.sampleEveryMin ?? 15;
  const unloadOpts = { ...DEFAULT_UNLOAD, ...opts.unload };
  const record = opts.recordLiquidations ?? true;
  const first = opts.path[0]!;
  const t0 = first.timeMs;
  const openPx8 = px8Of(first.price);
  // Fills at the tick-rounded price; the first mark is the exact exogenous price (within a tick of it).
  const openPrice = openPriceOf(opts.path);

  const venue = venueFor(opts.policy, { openPrice, startMs: t0 });
  const pop = materialize(opts.intents, venue, {
    openPrice,
    timeMs: t0,
    ...(opts.sizing !== undefined ? { sizing: opts.sizing } : {}),
    ...(opts.insuranceSeed !== undefined ? { insuranceSeed: opts.insuranceSeed } : {}),
  });
  const engine = Engine.create(pop.config, opts.journal ? { journal: opts.journal } : {});
  const state = engine.state;
  const qd = state.settlement.decimals;
  const usd = (v: bigint) => formatDecimal(v, qd);
  const market = () => state.markets.get(MARKET)!;
  const book = opts.book;

  // --- metrics from events -----------------------------------------------------------
  const traderKeys = new Set(pop.traders.map((t) => subaccountKey(t.ref)));
  const totals = new RunTotals(traderKeys);
  const insurance = new InsurancePath();
  const stepsByDepth: number[] = [];
  const latencies: number[] = [];
  const records: LiquidationRecord[] = [];
  const ins = () => state.insurance.get(SETTLEMENT) ?? 0n;
  /** The episode whose liquidate command is executing (attributes depth and latency). */
  let current: Episode | undefined;
  let lastCompleted: { mode: LiquidationMode; healthy: boolean } | undefined;
  // Per-minute accumulators.
  let minuteLiqs = 0;
  let minuteNotional = 0n;
  let minuteDepth = 0;
  let roundMaxDepth = 0;

  engine.onEvents((events: readonly Sequenced[]) => {
    for (const e of events) {
      totals.observe(e);
      switch (e.type) {
        case 'liquidation_completed': {
          const depth = current?.depth ?? 1;
          const latency = current ? e.timeMs - current.since : 0;
          stepsByDepth[depth - 1] = (stepsByDepth[depth - 1] ?? 0) + 1;
          latencies.push(latency);
          minuteLiqs++;
          minuteNotional += e.closedNotionalQuote;
          if (depth > minuteDepth) minuteDepth = depth;
          if (depth > roundMaxDepth) roundMaxDepth = depth;
          lastCompleted = { mode: e.mode, healthy: e.healthAfterQuote >= 0n };
          if (record)
            records.push({
              timeMs: e.timeMs,
              sub: e.sub,
              scope: e.scope,
              mode: e.mode,
              depth,
              latencyMs: latency,
              notional: usd(e.closedNotionalQuote),
              markPx: fmtPx(market().markPx8!),
            });
          break;
        }
        default:
          break;
      }
    }
    insurance.sample(ins());
  });

  // --- setup -------------------------------------------------------------------------
  for (const c of pop.setup) {
    const r = engine.execute(c);
    if (!r.ok)
      throw new Error(`setup command ${c.type} rejected: ${r.rejection.code}: ${r.rejection.message}`);
  }
  // Portfolio margin, where the venue offers it: a trader switches when it lowers their initial
  // margin (opt-in, as on a venue: hedged books take it, a BTC-collateral long — coin and
  // perpetual adding up in the scenarios — does not); the engine checks the switch itself.
  let portfolioAccounts = 0;
  if (pop.config.portfolio !== undefined) {
    for (const t of pop.traders) {
      const sub = state.subaccounts.get(subaccountKey(t.ref));
      if (!t.opened || !sub) continue;
      const now = evaluate(state, crossView(sub)).initialMarginQuote;
      const pm = evaluate(state, crossView({ ...sub, portfolioMargin: true })).initialMarginQuote;
      if (pm < now && engine.execute({ type: 'set_portfolio_margin', subaccount: t.ref, enabled: true }).ok)
        portfolioAccounts++;
    }
  }
  const insStart = ins();
  insurance.start(insStart);
  const riskBook = RiskBook.fromState(state);
  engine.onEvents((events) => riskBook.sync(state, events));
  const step = market().config.stepSize || QTY_STEP_FALLBACK;
  const tick = market().config.tickSize;
  const backstopKey = subaccountKey(BACKSTOP);

  const traderFigures = () => {
    let im = 0n;
    let notional = 0n;
    for (const key of traderKeys) {
      const s = state.subaccounts.get(key);
      if (!s || s.positions.size === 0) continue;
      const views = [crossView(s)];
      for (const p of s.positions.values()) if (p.isolated) views.push(isolatedView(state, s, p.market));
      for (const v of views) {
        if (v.positions.length === 0) continue;
        const f = evaluate(state, v);
        im += f.initialMarginQuote;
        for (const p of f.positions) notional += p.notionalQuote;
      }
    }
    return { im, notional, ratio: notional > 0n ? Number(im) / Number(notional) : 0 };
  };
  const startFig = traderFigures();
  const accountLevel = (() => {
    const req = opts.policy.accountInitialMargin;
    if (!req) return undefined;
    let total = 0;
    const hedged = { traders: 0, engineIm: 0, accountIm: 0 };
    for (const t of pop.traders) {
      if (!t.opened) continue;
      const key = subaccountKey(t.ref);
      const im = req.call(opts.policy, state, key) ?? 0; // whole USDC (float screening figure)
      total += im;
      if (t.hedged) {
        // The market model's IM alone (the leverage-1 setting of these traders would cap it at 100 %).
        const pos = state.subaccounts.get(key)!.positions.get(MARKET)!;
        const abs = pos.size < 0n ? -pos.size : pos.size;
        const req = market().model.requirement(
          { sizeQty9: abs, notionalQuote: divRound(abs * market().markPx8!, 10n ** BigInt(17 - qd), 'ceil') },
          { openInterestQuote: 0n },
        );
        hedged.traders++;
        hedged.engineIm += Number(req.initialQuote) / 10 ** qd;
        hedged.accountIm += im;
      }
    }
    const notional = Number(startFig.notional) / 10 ** qd;
    return { initialMargin: total, ratio: notional > 0 ? total / notional : 0, hedged, portfolioAccounts };
  })();
  const samples: { timeMs: number; ratio: number }[] = [{ timeMs: t0, ratio: startFig.ratio }];

  // --- helpers -------------------------------------------------------------------------
  const rejected: Record<string, number> = {};
  const bump = (code: string) => {
    rejected[code] = (rejected[code] ?? 0) + 1;
  };
  const exec = (c: CommandInput) => {
    const r = engine.execute(c);
    if (!r.ok) throw new Error(`${c.type} rejected: ${r.rejection.code}: ${r.rejection.message}`);
  };
  const now = (t: number) => Math.max(t, state.timeMs);
  let markLow = openPx8;
  let exoLow = openPx8;
  let maxDisplacement = 0;
  let maxDisplacementUp = 0;
  let minuteMarkLow = openPx8;
  let minuteMarkHigh = openPx8;
  let minuteDisplacementLow = 0;
  let minuteDisplacementHigh = 0;

  /** Moves mark and BTC price to `target`, in steps within 90 % of the price guard. */
  const pushMark = (target: bigint, timeMs: number) => {
    const limit = (state.guards.maxPriceMove * 9n) / 10n;
    let cur = market().markPx8!;
    while (cur !== target) {
      const maxStep = (cur * limit) / PPM;
      let next = target;
      if (target > cur + maxStep) next = cur + maxStep;
      else if (target < cur - maxStep) next = cur - maxStep;
      exec({
        type: 'prices',
        timeMs: now(timeMs),
        marks: { [MARKET]: fmtPx(next) },
        assets: { [BASE_ASSET]: fmtPx(next) },
      });
      cur = next;
    }
    if (target < markLow) markLow = target;
    if (target < minuteMarkLow) minuteMarkLow = target;
    if (target > minuteMarkHigh) minuteMarkHigh = target;
  };
  let exoPx8 = openPx8;
  let exoF = Number(first.price);
  const markTarget = () => {
    const d = book.displacement;
    if (d === 0) return exoPx8;
    const px = BigInt(Math.round(exoF * (1 + d) * 1e8));
    return px > 0n ? px : 1n;
  };
  const noteDisplacement = () => {
    const d = book.displacement;
    if (d < maxDisplacement) maxDisplacement = d;
    if (d > maxDisplacementUp) maxDisplacementUp = d;
    if (d > minuteDisplacementHigh) minuteDisplacementHigh = d;
    if (d < minuteDisplacementLow) minuteDisplacementLow = d;
  };

  let unloadFills = 0;
  let sold = 0n;
  let bought = 0n;
  let unloadNotional = 0n;
  let deferred = 0;
  /**
   * A market order of `party` walking the book model: at most `want` (qty9), limited to what
   * keeps the fill within `maxDeviationShare` of the engine's `maxFillDeviation` of the mark and,
   * when `room` is given, to `room` BTC. The fill's price is the walk's average, tick-rounded
   * against `party`; its impact moves the mark. Returns the quantity filled (0n: none).
   */
  const bookFill = (
    party: SubaccountRef,
    side: 'sell' | 'buy',
    want: bigint,
    timeMs: number,
    room: number,
    onReject: (code: string) => void,
  ): bigint => {
    const devLimit = (Number(state.guards.maxFillDeviation) / 1e6) * unloadOpts.maxDeviationShare;
    const mark = market().markPx8!;
    const markF = Number(mark) / 1e8;
    book.advance(timeMs);
    const q = book.maxQtyWithin(side, exoF, markF, devLimit, Math.min(Number(want) / 1e9, room));
    const qty = (BigInt(Math.floor(q * 1e9)) / step) * step;
    if (qty <= 0n) return 0n;
    const preview = book.previewImpact(side, Number(qty) / 1e9, exoF);
    let px = BigInt(Math.round(preview.avgPrice * 1e8));
    px = divRound(px, tick, side === 'sell' ? 'floor' : 'ceil') * tick;
    const band = (mark * state.guards.maxFillDeviation) / PPM;
    const lo = divRound(mark - band, tick, 'ceil') * tick;
    const hi = divRound(mark + band, tick, 'floor') * tick;
    if (px < lo) px = lo;
    if (px > hi) px = hi;
    const r = engine.execute({
      type: 'fill',
      market: MARKET,
      buyer: side === 'sell' ? STREET : party,
      seller: side === 'sell' ? party : STREET,
      size: formatDecimal(qty, 9),
      price: fmtPx(px),
      taker: side === 'sell' ? 'seller' : 'buyer',
      timeMs: now(timeMs),
    });
    if (!r.ok) {
      onReject(r.rejection.code);
      return -1n;
    }
    book.impact(side, Number(qty) / 1e9, exoF);
    lastFillNotional = divRound(qty * px, 10n ** BigInt(17 - qd), 'halfEven');
    noteDisplacement();
    return qty;
  };
  let lastFillNotional = 0n;

  /** Backstop unloads its position into the book; returns whether the mark moved. */
  const unload = (timeMs: number): boolean => {
    if (!unloadOpts.enabled) return false;
    let moved = false;
    for (let chunk = 0; chunk < unloadOpts.chunksPerRound; chunk++) {
      const inv = state.subaccounts.get(backstopKey)?.positions.get(MARKET)?.size ?? 0n;
      const absInv = inv < 0n ? -inv : inv;
      if (absInv < step) break;
      const side = inv > 0n ? 'sell' : 'buy';
      book.advance(timeMs);
      const room = book.roomTo(side, unloadOpts.maxDisplacement);
      const qty = bookFill(BACKSTOP, side, absInv, timeMs, room, (code) => bump(`UNLOAD_${code}`));
      if (qty < 0n) break;
      if (qty === 0n) {
        deferred++;
        break;
      }
      unloadFills++;
      if (side === 'sell') sold += qty;
      else bought += qty;
      unloadNotional += lastFillNotional;
      const before = market().markPx8!;
      pushMark(markTarget(), timeMs);
      if (market().markPx8! !== before) moved = true;
    }
    return moved;
  };

  const holdsInventory = () => {
    if (!unloadOpts.enabled) return false;
    const inv = state.subaccounts.get(backstopKey)?.positions.get(MARKET)?.size ?? 0n;
    return inv >= step || inv <= -step;
  };
  /** Deepest liquidation whose take-over is still (partly) in the backstop's inventory. */
  let inventoryDepth = 0;
  const episodes = new Map<string, Episode>();
  let episodeOrder = 0;
  let maxRoundsPerPoint = 0;
  /** Re-screens; new episodes start at `sinceMs` with `depth`; healthy scopes end theirs. */
  const check = (sinceMs: number, depth: number) => {
    const found = riskBook.liquidatable(state);
    const ids = new Set<string>();
    for (const c of found) {
      const key = subaccountKey(c.ref);
      const id = c.scope.kind === 'cross' ? `${key}|cross` : `${key}|isolated:${c.scope.market}`;
      ids.add(id);
      if (!episodes.has(id))
        episodes.set(id, { id, ref: c.ref, scope: c.scope, since: sinceMs, depth, order: episodeOrder++ });
    }
    for (const id of [...episodes.keys()]) if (!ids.has(id)) episodes.delete(id);
  };

  /** Liquidation rounds after a price update at `updateMs` (exogenous or funding: depth 1). */
  const cascade = (updateMs: number) => {
    let depthOfNew = 1;
    let sinceMs = updateMs;
    let at = updateMs + keeper.delayMs;
    let rounds = 0;
    for (; rounds < maxRounds; rounds++) {
      check(sinceMs, depthOfNew);
      if (episodes.size === 0 && !holdsInventory()) break;
      const queue = [...episodes.values()].sort((a, b) => a.since - b.since || a.order - b.order);
      const execAt = now(at);
      roundMaxDepth = 0;
      let progressed = false;
      for (const ep of queue.slice(0, keeper.maxPerRound)) {
        current = ep;
        lastCompleted = undefined;
        const r = engine.execute({
          type: 'liquidate',
          subaccount: ep.ref,
          ...(ep.scope.kind === 'isolated' ? { isolatedMarket: ep.scope.market } : {}),
          timeMs: execAt,
        });
        current = undefined;
        if (!r.ok) {
          bump(r.rejection.code);
          continue;
        }
        progressed = true;
        const done = lastCompleted as { mode: string; healthy: boolean } | undefined;
        if (done && (done.mode !== 'partial' || done.healthy)) episodes.delete(ep.id);
      }
      if (roundMaxDepth > inventoryDepth) inventoryDepth = roundMaxDepth;
      const soldDepth = inventoryDepth;
      const moved = unload(execAt);
      if (!holdsInventory()) inventoryDepth = 0;
      if (!progressed && !moved) break;
      // New scopes were pushed over by this round's steps or by the sale of what earlier steps took.
      depthOfNew = Math.max(roundMaxDepth, moved ? soldDepth : 0) + 1;
      sinceMs = execAt;
      at = execAt + keeper.roundMs;
    }
    if (rounds >= maxRounds) bump('ROUND_LIMIT');
    if (rounds > maxRoundsPerPoint) maxRoundsPerPoint = rounds;
  };

  // --- margin calls and responses (lab/responders.ts) -------------------------------------
  const desk = opts.responses ? new MarginCallDesk(opts.responses, pop.traders) : undefined;
  const responderTraders = desk ? pop.traders.filter((t) => t.opened && desk.isResponder(t.ref.account)) : [];
  const targetPpm = desk ? BigInt(Math.round(desk.spec.depositTargetRatio * 1e6)) : PPM;
  const capPpm = desk ? BigInt(Math.round(desk.spec.maxDepositMultiple * 1e6)) : 0n;
  const reducePpm = desk ? BigInt(Math.round(desk.spec.reduceFraction * 1e6)) : 0n;
  const depositCap = new Map(
    pop.traders.map((t) => [
      t.ref.account,
      (parseDecimalUnsafe(t.collateralUsd, 2) * 10n ** BigInt(qd - 2) * capPpm) / PPM,
    ]),
  );
  const deposited = new Map<string, bigint>();
  const resp = {
    deposits: 0,
    depositAmount: 0n,
    reductions: 0,
    reducedQty: 0n,
    reducedNotional: 0n,
    skipped: 0,
  };
  const respRejected: Record<string, number> = {};
  const respReject = (code: string) => {
    respRejected[code] = (respRejected[code] ?? 0) + 1;
  };
  /**
   * Margin calls: a responder's scope whose margin ratio MM / equity is at or above the call
   * ratio, i.e. equity < MM / callRatio — the risk book's float screen with slack
   * 1 / callRatio − 1 on MM, one pass over its typed arrays (a call is a notice, not money; what a
   * response moves is computed exactly when it executes). Scopes come in the book's order.
   */
  const responderByKey = new Map(responderTraders.map((t) => [subaccountKey(t.ref), t] as const));
  const callSlack = desk ? 1 / desk.spec.callRatio - 1 : 0;
  const scanCalls = (timeMs: number) => {
    if (!desk || responderByKey.size === 0) return;
    for (const c of riskBook.candidates(callSlack)) {
      const t = responderByKey.get(c.key);
      if (!t) continue;
      const id = c.scope.kind === 'cross' ? `${c.key}|cross` : `${c.key}|isolated:${c.scope.market}`;
      desk.call(id, t.ref, c.scope.kind === 'isolated' ? c.scope.market : undefined, timeMs);
    }
  };
  /** Executes one due response through the engine; returns whether it moved the mark. */
  const respond = (p: PendingResponse, timeMs: number): boolean => {
    const s = state.subaccounts.get(subaccountKey(p.ref));
    const pos = s?.positions.get(MARKET);
    if (!s || !pos || pos.size === 0n) {
      resp.skipped++;
      return false;
    }
    const t = now(timeMs);
    if (p.action === 'deposit') {
      const f = evaluate(state, p.isolatedMarket ? isolatedView(state, s, MARKET) : crossView(s));
      // MM / (equity + d) = target  ⇔  d = MM / target − equity, rounded up.
      const need = divRound(f.maintenanceMarginQuote * PPM, targetPpm, 'ceil') - f.equityQuote;
      const room = (depositCap.get(p.ref.account) ?? 0n) - (deposited.get(p.ref.account) ?? 0n);
      const amount = need < room ? need : room;
      if (amount <= 0n) {
        resp.skipped++;
        return false;
      }
      const d = engine.execute({
        type: 'deposit',
        to: p.ref,
        asset: SETTLEMENT,
        amount: usd(amount),
        timeMs: t,
      });
      if (!d.ok) {
        respReject(d.rejection.code);
        return false;
      }
      if (p.isolatedMarket) {
        const a = engine.execute({
          type: 'adjust_isolated_margin',
          subaccount: p.ref,
          market: MARKET,
          amount: usd(amount),
          timeMs: t,
        });
        if (!a.ok) respReject(a.rejection.code);
      }
      resp.deposits++;
      resp.depositAmount += amount;
      deposited.set(p.ref.account, (deposited.get(p.ref.account) ?? 0n) + amount);
      return false;
    }
    const abs = pos.size < 0n ? -pos.size : pos.size;
    let want = ((abs * reducePpm) / PPM / step) * step;
    if (want < step) want = abs;
    const before = market().markPx8!;
    const qty = bookFill(
      p.ref,
      pos.size > 0n ? 'sell' : 'buy',
      want,
      t,
      Number.POSITIVE_INFINITY,
      respReject,
    );
    if (qty <= 0n) {
      if (qty === 0n) resp.skipped++;
      return false;
    }
    resp.reductions++;
    resp.reducedQty += qty;
    resp.reducedNotional += lastFillNotional;
    pushMark(markTarget(), t);
    return market().markPx8! !== before;
  };
  /** Responses due by `timeMs`, each at its own due time; a reduction that moved the mark may cascade. */
  const respondDue = (timeMs: number) => {
    if (!desk) return;
    for (const p of desk.due(timeMs)) if (respond(p, p.dueMs)) cascade(now(p.dueMs));
  };

  // --- the run ---------------------------------------------------------------------------
  const timeline: MinuteRow[] = [];
  let minute = -1;
  let minuteStartMs = t0;
  let lastExo = first.price;
  const closeMinute = () => {
    if (minute < 0) return;
    const bs = book.state();
    timeline.push({
      timeMs: minuteStartMs,
      exogenous: lastExo,
      markLow: fmtPx(minuteMarkLow),
      markHigh: fmtPx(minuteMarkHigh),
      displacementLow: minuteDisplacementLow,
      displacementHigh: minuteDisplacementHigh,
      liquidations: minuteLiqs,
      notional: usd(minuteNotional),
      maxDepth: minuteDepth,
      insuranceFund: usd(ins()),
      thinFactor: bs.thinFactor,
      gapPct: bs.gap * 100,
    });
    minuteLiqs = 0;
    minuteNotional = 0n;
    minuteDepth = 0;
  };
  let marketInput = pop.config.markets!.find((m) => m.id === MARKET)!;
  const policyUpdate = (u: PolicyUpdate | undefined) => {
    if (!u) return;
    if (u.market) {
      const cfg = market().config;
      marketInput = { ...marketInput, ...u.market, id: cfg.id, kind: cfg.kind, base: cfg.base };
      exec({ type: 'set_market', config: marketInput });
    }
    if (u.liquidation) exec({ type: 'set_policy', liquidation: u.liquidation });
  };

  for (let i = 0; i < opts.path.length; i++) {
    const p = opts.path[i]!;
    const m = Math.floor((p.timeMs - t0) / 60_000);
    if (m !== minute) {
      closeMinute();
      minute = m;
      minuteStartMs = t0 + m * 60_000;
      minuteMarkLow = market().markPx8!;
      minuteMarkHigh = minuteMarkLow;
      minuteDisplacementLow = book.displacement;
      minuteDisplacementHigh = book.displacement;
      const mt = minuteStartMs;
      if (opts.funding !== false && mt > t0 && mt % FUNDING_INTERVAL_MS === 0 && i > 0) {
        exec({ type: 'funding_tick', market: MARKET, timeMs: now(mt), premiumIndex: FUNDING_PREMIUM_INDEX });
        cascade(now(mt));
      }
      if (m > 0 && sampleEvery > 0 && m % sampleEvery === 0)
        samples.push({ timeMs: mt, ratio: traderFigures().ratio });
      if (opts.policy.onTick) {
        const u = opts.policy.onTick({
          timeMs: mt,
          minute: m,
          exogenousPx: exoF,
          markPx: Number(market().markPx8!) / 1e8,
          realizedVolPerMin: book.state().realizedVolPerMin,
          book: book.curves(),
          openInterestBase: Number(market().openInterestQty9) / 1e9,
          market: marketInput,
        });
        policyUpdate(u);
      }
    }
    respondDue(p.timeMs);
    const t = now(p.timeMs);
    exoPx8 = px8Of(p.price);
    exoF = Number(p.price);
    lastExo = p.price;
    if (exoPx8 < exoLow) exoLow = exoPx8;
    book.observe(t, exoF);
    noteDisplacement();
    pushMark(markTarget(), t);
    cascade(t);
    scanCalls(state.timeMs);
  }
  closeMinute();

  // --- report ----------------------------------------------------------------------------
  const sortedLat = [...latencies].sort((a, b) => a - b);
  const q = (f: number) =>
    sortedLat.length === 0 ? 0 : sortedLat[Math.min(sortedLat.length - 1, Math.floor(f * sortedLat.length))]!;
  const ratios = samples.map((s) => s.ratio);
  const backstop = state.subaccounts.get(backstopKey)!;
  const bf = evaluate(state, crossView(backstop));
  const backstopDeposit = (() => {
    const c = pop.setup.find((x) => x.type === 'deposit' && x.to.account === BACKSTOP.account);
    return c && c.type === 'deposit' ? parseDecimalUnsafe(c.amount, qd) : 0n;
  })();
  const { modes } = totals;
  const all = Object.values(modes);
  const total = totals.totalSteps();
  const totalNotional = all.reduce((a, m) => a + m.notional, 0n);
  const mt = (x: { steps: number; notional: bigint }): ModeTotals => ({
    count: x.steps,
    notional: usd(x.notional),
  });
  const metrics: CascadeMetrics = {
    policy: opts.policy.name,
    window: { from: t0, to: opts.path[opts.path.length - 1]!.timeMs, points: opts.path.length },
    population: pop.summary,
    openInterest: {
      traderNotional: usd(startFig.notional),
      marketBase: pop.summary.longSize,
    },
    liquidations: {
      count: total,
      notional: usd(totalNotional),
      partial: mt(modes.partial),
      full: mt(modes.full),
      bankrupt: mt(modes.bankrupt),
      backstop: mt(modes.backstop),
      scopes: totals.scopesHit.size,
      traders: totals.tradersHit.size,
      liquidatorRewards: usd(totals.rewards),
      insuranceFees: usd(totals.insuranceFees),
      rejected,
    },
    badDebt: {
      insuranceCover: usd(totals.covered),
      socializedLoss: usd(totals.socialized),
      total: usd(totals.covered + totals.socialized),
    },
    insuranceFund: {
      start: usd(insStart),
      end: usd(ins()),
      min: usd(insurance.min),
      max: usd(insurance.max),
      maxDrawdown: usd(insurance.maxDrawdown),
      seized: Object.fromEntries(
        [...totals.seized].map(([a, v]) => [a, formatDecimal(v, state.assets.get(a)!.decimals)] as const),
      ),
    },
    adl: { fills: totals.adlFills, size: formatDecimal(totals.adlQty, 9), notional: usd(totals.adlNotional) },
    socializedLoss: usd(totals.socialized),
    cascade: {
      peakDepth: stepsByDepth.length,
      stepsByDepth: Array.from({ length: stepsByDepth.length }, (_, i) => stepsByDepth[i] ?? 0),
      induced: stepsByDepth.slice(1).reduce((a, b) => a + (b ?? 0), 0),
      maxDisplacement,
      maxDisplacementUp,
      maxRoundsPerPoint,
      unload: {
        fills: unloadFills,
        sold: formatDecimal(sold, 9),
        bought: formatDecimal(bought, 9),
        notional: usd(unloadNotional),
        deferred,
      },
    },
    latency: {
      count: latencies.length,
      meanMs: latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      maxMs: sortedLat.length === 0 ? 0 : sortedLat[sortedLat.length - 1]!,
    },
    capitalEfficiency: {
      start: { initialMargin: usd(startFig.im), notional: usd(startFig.notional), ratio: startFig.ratio },
      samples,
      mean: ratios.reduce((a, b) => a + b, 0) / ratios.length,
      max: Math.max(...ratios),
      ...(accountLevel ? { accountLevel } : {}),
    },
    prices: { exogenousLow: fmtPx(exoLow), markLow: fmtPx(markLow) },
    backstop: {
      position: formatDecimal(backstop.positions.get(MARKET)?.size ?? 0n, 9),
      pnl: usd(bf.netValueQuote - backstopDeposit),
    },
    responses: {
      responders: responderTraders.length,
      calls: desk?.calls ?? 0,
      deposits: { count: resp.deposits, amount: usd(resp.depositAmount) },
      reductions: {
        count: resp.reductions,
        size: formatDecimal(resp.reducedQty, 9),
        notional: usd(resp.reducedNotional),
      },
      skipped: resp.skipped,
      pendingAtEnd: desk?.pendingCount ?? 0,
      rejected: respRejected,
    },
    conservation: conservation(state),
  };
  return { metrics, timeline, liquidations: records, population: pop, engine };
}
