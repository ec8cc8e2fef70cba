/**
 * Liquidation-cascade simulator: drives the real engine through an exogenous
 * price path plus the endogenous impact of liquidation sales on a book model.
 *
 * Where the mark comes from: on a single price series, the exogenous path displaced by the
 * book (step 1 below, `prices` commands). With `oracle` (a day with a multi-source feed,
 * 2025-10-10) the day's real observations reach the engine's `oracle` command at their own
 * times, each price displaced by the book's displacement at that moment (./cascade/oracle-ticks.ts,
 * with the demo's feed ../oracle-feed.ts): the guarded mark (breaker, safe mode, move
 * confirmation) is the mark, the BTC collateral follows it, and the keeper's rounds run after each
 * oracle step (liquidations the oracle holds wait); the exogenous points still drive the book
 * model, the responders and the per-minute work, and a sale reaches the mark with the next
 * observations (the episodes found then are one level deeper than the sales since).
 *
 * Per exogenous price point (the real crash klines via `klinePoints`, or any array
 * via `arrayPoints`):
 * 1. the book model observes the point (volatility, thinning, gap, decay of the
 *    displacement); the engine's mark (and the BTC collateral price) becomes
 *    exogenous × (1 + displacement), sent as `prices` commands split so that no
 *    update moves more than 90 % of the engine's `maxPriceMove` guard;
 * 2. **rounds**, until nothing is liquidatable: the keeper loop (core/keeper) finds the
 *    liquidatable scopes (risk-book screen, confirmed with exact figures) and sends one
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
 * if the rounds ran past it. With `keeper.latencyMs` (the latency model of
 * ./cascade/rounds.ts) a step lands when its episode is due instead, at the prices
 * of that moment: the rounds of an update stop before the next point.
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
 * The parts, one module each under ./cascade/: path.ts (exogenous paths), mark.ts (the mark
 * driver), book-trader.ts (fills against the book model, the backstop's unload), episodes.ts
 * (depth and latency), rounds.ts (per update: the keeper's rounds), responses.ts (margin calls),
 * timeline.ts (per minute), capital.ts (capital efficiency), report.ts (the metrics); this file
 * sets a run up and hands the path to the crash driver (../crash-driver.ts, the demo's too),
 * which walks it point by point and settles funding at 8-hour boundaries.
 *
 * Everything is a function of the inputs (no clock, no randomness beyond the
 * population's seed): same inputs, same metrics. Floats are used for the book model
 * and for ratios in the report; every price and size reaches the engine as an exact
 * decimal string (px8, qty9), and all money comes from the engine's own events.
 */

import { crossView, evaluate } from '../../core/account/figures.ts';
import { Engine } from '../../core/engine/engine.ts';
import { subaccountKey } from '../../core/model/state.ts';
import { formatDecimal } from '../../core/num/index.ts';
import { RiskBookFinder } from '../../riskbook/index.ts';
import { driveCrash, FUNDING_PREMIUM_INDEX } from '../crash-driver.ts';
import { OracleFeed, setOracleCommand } from '../oracle-feed.ts';
import { materialize } from '../population.ts';
import { InsurancePath, RunTotals } from '../run-totals.ts';
import { BACKSTOP, BASE_ASSET, MARKET, SETTLEMENT } from '../venue.ts';
import { BookTrader } from './cascade/book-trader.ts';
import {
  accountLevelFigures,
  bookRatio,
  openingBook,
  personalFigures,
  traderFigures,
} from './cascade/capital.ts';
import { RunContext } from './cascade/context.ts';
import { Episodes } from './cascade/episodes.ts';
import { MarkDriver } from './cascade/mark.ts';
import { displaceInputs, type LabTick, mergeTicks } from './cascade/oracle-ticks.ts';
import { fmtPx, openPriceOf, px8Of } from './cascade/path.ts';
import { PenaltySwitch } from './cascade/penalty-switch.ts';
import { RampRunner } from './cascade/ramp.ts';
import { cascadeMetrics } from './cascade/report.ts';
import { ResponseRunner } from './cascade/responses.ts';
import { CascadeRounds } from './cascade/rounds.ts';
import { MinuteTimeline } from './cascade/timeline.ts';
import type { CascadeResult, CascadeRunOptions } from './cascade/types.ts';
import { DEFAULT_KEEPER, DEFAULT_UNLOAD } from './cascade/types.ts';
import { wellBehaved } from './personal-policy.ts';
import type { PolicyUpdate } from './policies.ts';
import { venueFor } from './policies.ts';

export { arrayPoints, klinePoints, openPriceOf, type PricePoint } from './cascade/path.ts';
export {
  type CascadeMetrics,
  type CascadeResult,
  type CascadeRunOptions,
  DEFAULT_KEEPER,
  DEFAULT_UNLOAD,
  type KeeperOptions,
  type LiquidationMode,
  type LiquidationRecord,
  type MinuteRow,
  type ModeTotals,
  type ResponseMetrics,
  type UnloadOptions,
} from './cascade/types.ts';

const QTY_STEP_FALLBACK = 1_000_000n;

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
  const sampleEvery = opts.sampleEveryMin ?? 15;
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
    ...(opts.policy.initialAddOnPpm !== undefined
      ? { initialAddOnPpm: opts.policy.initialAddOnPpm.bind(opts.policy) }
      : {}),
  });
  const engine = Engine.create(pop.config, opts.journal ? { journal: opts.journal } : {});
  const ctx = new RunContext(engine, opts.book);
  const { state } = ctx;
  const book = opts.book;
  const ins = () => state.insurance.get(SETTLEMENT) ?? 0n;

  // --- metrics from events -----------------------------------------------------------
  const traderKeys = new Set(pop.traders.map((t) => subaccountKey(t.ref)));
  const totals = new RunTotals(traderKeys);
  const insurance = new InsurancePath();
  const timeline = new MinuteTimeline(t0, first.price, openPx8);
  const episodes = new Episodes(opts.recordLiquidations ?? true, timeline, ctx.usd, () =>
    fmtPx(ctx.market().markPx8!),
  );
  engine.onEvents((events) => {
    for (const e of events) totals.observe(e);
    episodes.onEvents(events);
    insurance.sample(ins());
  });

  // --- setup -------------------------------------------------------------------------
  for (const c of pop.setup) {
    const r = engine.execute(c);
    if (!r.ok)
      throw new Error(`setup command ${c.type} rejected: ${r.rejection.code}: ${r.rejection.message}`);
  }
  const portfolioAccounts = switchToPortfolioMargin(engine, pop);
  const insStart = ins();
  insurance.start(insStart);
  // With a multi-source feed, the market's mark comes from its guarded oracle from here on.
  const last = opts.path[opts.path.length - 1]!;
  const feed = opts.oracle ? new OracleFeed(opts.oracle, t0, last.timeMs, MARKET, engine) : undefined;
  if (feed) {
    ctx.exec(setOracleCommand(MARKET));
    feed.start(t0);
  }
  const finder = new RiskBookFinder(engine);
  const step = ctx.market().config.stepSize || QTY_STEP_FALLBACK;
  const startFig = traderFigures(state, traderKeys);
  const accountLevel = accountLevelFigures(opts.policy, state, pop, startFig, portfolioAccounts);
  const samples: { timeMs: number; ratio: number }[] = [{ timeMs: t0, ratio: startFig.ratio }];
  const startBook = openingBook(state, traderKeys);
  const bookSamples: number[] = [bookRatio(state, startBook)];
  const addOnOf = opts.policy.initialAddOnPpm?.bind(opts.policy);
  const personal = personalFigures(state, pop, addOnOf, wellBehaved);

  // --- the parts -----------------------------------------------------------------------
  const mark = new MarkDriver(ctx, timeline, openPx8, first.price, feed ? 'oracle' : 'prices');
  const mech = opts.mechanism;
  const unloadOpts = { ...DEFAULT_UNLOAD, ...opts.unload };
  const trader = new BookTrader(
    ctx,
    mark,
    // The throttle's bound also bounds the backstop's unload.
    mech?.throttle
      ? { ...unloadOpts, maxDisplacement: Math.min(unloadOpts.maxDisplacement, mech.throttle.slippage) }
      : unloadOpts,
    step,
    ctx.market().config.tickSize,
    subaccountKey(BACKSTOP),
    mech?.auction,
  );
  const penalty = mech?.penalty
    ? new PenaltySwitch(ctx, mech.penalty, pop.config.liquidation ?? {})
    : undefined;
  const rounds = new CascadeRounds(
    ctx,
    finder,
    episodes,
    trader,
    keeper,
    opts.maxRounds ?? 200,
    feed !== undefined,
    mech,
    penalty ? () => penalty.update() : undefined,
  );
  // Latency model: rounds after an update never reach the next exogenous point (what is due
  // then is liquidated at that point's prices). `next` only moves forward: updates come in order.
  let next = 0;
  const cascade = (updateMs: number) => {
    while (next < opts.path.length && opts.path[next]!.timeMs <= updateMs) next++;
    rounds.horizonMs = next < opts.path.length ? opts.path[next]!.timeMs : Number.POSITIVE_INFINITY;
    rounds.run(updateMs);
  };
  const responses = new ResponseRunner(ctx, opts.responses, pop, finder.book, trader, mark, step);
  const ramp =
    opts.rampEveryMinutes !== undefined
      ? new RampRunner(ctx, pop.traders, (t) => addOnOf?.(t) ?? 0, trader, mark, step, opts.rampEveryMinutes)
      : undefined;

  let marketInput = pop.config.markets!.find((m) => m.id === MARKET)!;
  const policyUpdate = (u: PolicyUpdate | undefined) => {
    if (!u) return;
    if (u.market) {
      const cfg = ctx.market().config;
      marketInput = { ...marketInput, ...u.market, id: cfg.id, kind: cfg.kind, base: cfg.base };
      ctx.exec({ type: 'set_market', config: marketInput });
    }
    if (u.liquidation) {
      ctx.exec({ type: 'set_policy', liquidation: u.liquidation });
      penalty?.rebase(u.liquidation);
    }
  };
  // --- the run: the crash driver walks the path point by point ----------------------------
  const ticks: readonly LabTick[] = feed
    ? mergeTicks(opts.path, feed.steps)
    : opts.path.map((point) => ({ kind: 'point', timeMs: point.timeMs, point }));
  driveCrash(ticks, {
    startMs: t0,
    /** A new minute: the timeline's row. */
    minuteStart: (m) => {
      timeline.close(ctx.usd(ins()), book.state(), ctx.usd);
      timeline.open(m, ctx.market().markPx8!, book.displacement);
    },
    ...(opts.funding === false
      ? {}
      : {
          funding: (boundaryMs: number) => {
            ctx.exec({
              type: 'funding_tick',
              market: MARKET,
              timeMs: ctx.now(boundaryMs),
              premiumIndex: FUNDING_PREMIUM_INDEX,
            });
            cascade(ctx.now(boundaryMs));
          },
        }),
    /** After the minute's funding: capital samples, the policy's tick. */
    minuteReady: (m) => {
      const mt = timeline.minuteStartMs;
      if (m > 0 && sampleEvery > 0 && m % sampleEvery === 0) {
        samples.push({ timeMs: mt, ratio: traderFigures(state, traderKeys).ratio });
        bookSamples.push(bookRatio(state, startBook));
      }
      if (opts.policy.onTick) {
        const market = ctx.market();
        policyUpdate(
          opts.policy.onTick({
            timeMs: mt,
            minute: m,
            exogenousPx: mark.exoF,
            markPx: Number(market.markPx8!) / 1e8,
            realizedVolPerMin: book.state().realizedVolPerMin,
            book: book.curves(),
            openInterestBase: Number(market.openInterestQty9) / 1e9,
            market: marketInput,
          }),
        );
      }
      if (ramp && m > 0 && m % ramp.everyMinutes === 0 && ramp.run(mt)) cascade(ctx.now(mt));
    },
    tick: (tick) => {
      if (tick.kind === 'oracle') {
        // The observations, each displaced by the book at this moment, through the oracle.
        const t = ctx.now(tick.timeMs);
        book.advance(t);
        const inputs = displaceInputs(tick.step.inputs, book.displacement);
        const report = rounds.tick(
          { timeMs: t, observations: [{ market: MARKET, inputs }] },
          { [BASE_ASSET]: MARKET },
        );
        feed!.observe(t, inputs.length, report);
        mark.noteEngineMark();
        return;
      }
      const p = tick.point;
      responses.respondDue(p.timeMs, cascade);
      const t = ctx.now(p.timeMs);
      mark.setExogenous(p.price);
      timeline.lastExo = p.price;
      book.observe(t, mark.exoF);
      mark.noteDisplacement();
      // With the oracle feed the mark moves with the next observations (push only records it).
      mark.push(mark.target(), t);
      penalty?.update();
      if (!feed) cascade(t);
      responses.scanCalls(state.timeMs);
    },
  });
  timeline.close(ctx.usd(ins()), book.state(), ctx.usd);

  const metrics = cascadeMetrics({
    ctx,
    policy: opts.policy,
    path: opts.path,
    pop,
    totals,
    insurance,
    insStart,
    insEnd: ins(),
    episodes,
    mark,
    trader,
    maxRoundsPerPoint: rounds.maxRoundsPerPoint,
    startFig,
    samples,
    accountLevel,
    responses: responses.metrics(),
    bookSamples,
    personal,
  });
  if (ramp) Object.assign(metrics, { ramp: ramp.metrics() });
  if (feed) Object.assign(metrics, { oracle: feed.facts() });
  if (mech)
    Object.assign(metrics, {
      mechanism: {
        name: mech.name,
        breakerTrips: rounds.breakerTrips,
        throttleHeld: rounds.throttleHeld,
        auctionFills: trader.auctionFills,
        auctionQty: formatDecimal(trader.auctionQty, 9),
        penaltySwitches: penalty?.switches ?? 0,
      },
    });
  return { metrics, timeline: timeline.rows, liquidations: episodes.records, population: pop, engine };
}

/**
 * Portfolio margin, where the venue offers it: a trader switches when it lowers their initial
 * margin (opt-in, as on a venue: hedged books take it, a BTC-collateral long — coin and
 * perpetual adding up in the scenarios — does not); the engine checks the switch itself.
 * Returns how many switched.
 */
function switchToPortfolioMargin(engine: Engine, pop: CascadeResult['population']): number {
  if (pop.config.portfolio === undefined) return 0;
  const state = engine.state;
  let n = 0;
  for (const t of pop.traders) {
    const sub = state.subaccounts.get(subaccountKey(t.ref));
    if (!t.opened || !sub) continue;
    const now = evaluate(state, crossView(sub)).initialMarginQuote;
    const pm = evaluate(state, crossView({ ...sub, portfolioMargin: true })).initialMarginQuote;
    if (pm < now && engine.execute({ type: 'set_portfolio_margin', subaccount: t.ref, enabled: true }).ok)
      n++;
  }
  return n;
}
