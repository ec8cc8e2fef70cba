/**
 * The risk console's data (docs/dashboard.md), all read-only:
 * - the overview (public): insurance fund, socialized loss, each market's mark, index, oracle
 *   sources, breaker and safe mode, open interest and initial margin over it, and the history
 *   series (src/server/dashboard/history.ts);
 * - accounts at risk: margin scopes ranked by the probability of touching their liquidation
 *   price within a horizon (src/analytics first-passage probabilities and risk scores), on the
 *   exact figures and liquidation prices of the risk snapshot; a trader key sees only its own;
 * - the liquidation map: per market, the notional whose exact liquidation price lies in each
 *   price band below and above the mark, and the first round a given move would liquidate
 *   (liquidator and operator keys: the book of liquidation prices is what a front-runner wants);
 * - an account's events, from the journal (dashboard/journal-history.ts), a page at a time.
 */
import { z } from 'zod';
import { DAYS_PER_YEAR, HOURS_PER_YEAR, MINUTES_PER_YEAR } from '../../analytics/first-passage.ts';
import { type AccountRiskInput, rankAccounts } from '../../analytics/score.ts';
import { valueDivisor } from '../../core/margin/notional.ts';
import type { ReadonlyEngineState } from '../../core/model/state.ts';
import { formatDecimal } from '../../core/num/index.ts';
import { PRICE_DECIMALS, QTY_DECIMALS } from '../../core/num/units.ts';
import { mayRead, requireRead } from '../access.ts';
import type { ApiKey } from '../auth.ts';
import type { AppContext } from '../context.ts';
import {
  cascadeDepth,
  cascadeRounds,
  cascadeSizes,
  notionalAtLiquidation,
} from '../dashboard/cascade-rounds.ts';
import { accountEventsFromJournal } from '../dashboard/journal-history.ts';
import type { RiskRow } from '../dashboard/risk-snapshot.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import { idString } from '../wire/common.ts';
import { wireInsurance } from '../wire/market.ts';

const view = z.record(z.string(), z.unknown());
const px = (v: bigint | null | undefined) =>
  v === null || v === undefined ? null : formatDecimal(v, PRICE_DECIMALS);
const qty = (v: bigint) => formatDecimal(v, QTY_DECIMALS);

function dash(ctx: AppContext) {
  if (!ctx.dashboard) throw new ApiError('NOT_FOUND', 'the dashboard views are not enabled on this server');
  return ctx.dashboard;
}

/** "90m", "1h", "1.5d" → years. */
export function parseHorizon(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|h|d)$/.exec(text);
  const per = m ? { m: MINUTES_PER_YEAR, h: HOURS_PER_YEAR, d: DAYS_PER_YEAR }[m[2] as 'm' | 'h' | 'd'] : 0;
  const years = m ? Number(m[1]) / per : Number.NaN;
  if (!(years > 0) || years > 1)
    throw new ApiError('INVALID_REQUEST', 'horizon: a duration like "30m", "1h" or "7d" (at most a year)');
  return years;
}

const numberText = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^-?[0-9]+(\.[0-9]+)?$/, { error: `${name}: a number` })
    .transform(Number)
    .refine((x) => x >= min && x <= max, { error: `${name}: between ${min} and ${max}` });

const AtRiskQuery = z.strictObject({
  horizon: z.string().max(16).optional(),
  /** Annualised volatility of the marks (per √year), e.g. "0.8" = 80 %. */
  sigma: numberText('sigma', 0.01, 20).optional(),
  symbol: idString.optional(),
  limit: numberText('limit', 1, 5000).optional(),
});

const MapQuery = z.strictObject({
  symbol: idString.optional(),
  /** Band width in percent of the mark (default 1). */
  stepPct: numberText('stepPct', 0.05, 25).optional(),
  /** Bands on each side (default 20). */
  steps: numberText('steps', 1, 200).optional(),
});

const CascadeQuery = z.strictObject({
  symbol: idString,
  /** The move in percent of the mark ("-5": 5 % lower). */
  movePct: numberText('movePct', -99, 1000),
  /** Base units resting within 1 % of the mark on each side (default: from the open interest). */
  depthPerPct: numberText('depthPerPct', 0.000001, 1e12).optional(),
  /** Depth within k % = depthPerPct × k^depthExponent (default 0.85). */
  depthExponent: numberText('depthExponent', 0.1, 3).optional(),
});

/** Distance from the mark to the liquidation price, in percent of the mark (≤ 0: already there). */
function distancePct(r: RiskRow): number | null {
  if (r.liqPx8 === null || r.markPx8 === 0n) return null;
  const d = Number(r.liqPx8 - r.markPx8) / Number(r.markPx8);
  return (r.side === 'long' ? -d : d) * 100;
}

function settlementNum(state: ReadonlyEngineState, v: bigint): number {
  return Number(v) / 10 ** state.settlement.decimals;
}

/** Collateral of a subaccount: amount and value (full weight) per asset. */
function collateralMix(state: ReadonlyEngineState, subKey: string) {
  const s = state.subaccounts.get(subKey);
  const out: { asset: string; amount: string; value: number; maintenanceWeight: string }[] = [];
  for (const [asset, bal] of s?.balances ?? []) {
    if (bal === 0n) continue;
    const cfg = state.assets.get(asset)!;
    const units = Number(bal) / 10 ** cfg.decimals;
    const price = asset === state.settlement.id ? 1 : Number(state.assetPricesPx8.get(asset) ?? 0n) / 1e8;
    out.push({
      asset,
      amount: formatDecimal(bal, cfg.decimals),
      value: units * price,
      maintenanceWeight: formatDecimal(cfg.maintenanceWeight, 6),
    });
  }
  return out;
}

function visibleRows(rows: readonly RiskRow[], key: ApiKey | undefined): readonly RiskRow[] {
  if (key?.scopes.includes('operator') || key?.scopes.includes('liquidator')) return rows;
  return rows.filter((r) => mayRead(key, r.account));
}

function atRisk(ctx: AppContext, key: ApiKey | undefined, q: z.infer<typeof AtRiskQuery>) {
  const horizon = q.horizon ?? '1h';
  const horizonYears = parseHorizon(horizon);
  const sigma = q.sigma ?? 0.8;
  const snap = dash(ctx).snapshots.get();
  const state = ctx.sink.engine.state;
  const rows = visibleRows(snap.rows, key).filter((r) => q.symbol === undefined || r.market === q.symbol);
  // one entry per margin scope: liquidation is per scope, on the scope's equity
  const scopes = new Map<string, RiskRow[]>();
  for (const r of rows) {
    const id = `${r.subKey}|${r.scope}`;
    let list = scopes.get(id);
    if (!list) scopes.set(id, (list = []));
    list.push(r);
  }
  const inputs: AccountRiskInput[] = [...scopes].map(([id, list]) => ({
    account: id,
    equity: settlementNum(state, list[0]!.equityQuote),
    positions: list.map((r) => ({
      id: r.market,
      market: r.market,
      side: r.side,
      notional: settlementNum(state, r.notionalQuote),
      markPrice: Number(r.markPx8) / 1e8,
      liquidationPrice: r.liqPx8 === null ? null : Number(r.liqPx8) / 1e8,
      sigmaPerYear: sigma,
    })),
  }));
  const ranked = rankAccounts(inputs, { horizonYears })
    // ranked by the probability of reaching the liquidation price, then the composite score
    .sort(
      (a, b) =>
        b.liquidationProbability - a.liquidationProbability ||
        b.score - a.score ||
        (a.account < b.account ? -1 : a.account > b.account ? 1 : 0),
    );
  const limit = q.limit ?? 200;
  const qd = state.settlement.decimals;
  return {
    seq: snap.seq,
    timeMs: snap.timeMs,
    computeMs: Math.round(snap.computeMs * 10) / 10,
    horizon,
    sigma,
    settlementAsset: state.settlement.id,
    total: ranked.length,
    scopes: ranked.slice(0, limit).map((a, i) => {
      const list = scopes.get(a.account)!;
      const first = list[0]!;
      const byMarket = new Map(a.positions.map((p) => [p.market, p]));
      const distances = list.map(distancePct).filter((d): d is number => d !== null);
      return {
        rank: i + 1,
        account: first.account,
        sub: first.sub,
        scope: first.scope,
        liquidationProbability: a.liquidationProbability,
        score: a.score,
        leverage: Number.isFinite(a.leverage) ? a.leverage : null,
        distancePct: distances.length ? Math.min(...distances) : null,
        equity: formatDecimal(first.equityQuote, qd),
        maintenanceMargin: formatDecimal(first.maintenanceQuote, qd),
        marginRatio: first.marginRatioPpm === null ? null : formatDecimal(first.marginRatioPpm, 6),
        liquidatable: first.liquidatable,
        notional: formatDecimal(
          list.reduce((s, r) => s + r.notionalQuote, 0n),
          qd,
        ),
        collateral: first.scope === 'cross' ? collateralMix(state, first.subKey) : [],
        positions: list.map((r) => ({
          symbol: r.market,
          side: r.side,
          size: qty(r.sizeQty9),
          markPrice: px(r.markPx8),
          notional: formatDecimal(r.notionalQuote, qd),
          liquidationPrice: px(r.liqPx8),
          distancePct: distancePct(r),
          liquidationProbability: byMarket.get(r.market)?.liquidationProbability ?? 0,
        })),
      };
    }),
  };
}

/** |size| × price in settlement units (rounded down: a figure, not a transfer). */
const notionalAt = (sizeQty9: bigint, px8: bigint, qd: number) => (sizeQty9 * px8) / valueDivisor(qd);

function liquidationMap(ctx: AppContext, q: z.infer<typeof MapQuery>) {
  const snap = dash(ctx).snapshots.get();
  const state = ctx.sink.engine.state;
  const qd = state.settlement.decimals;
  const stepPct = q.stepPct ?? 1;
  const steps = q.steps ?? 20;
  const markets = [...state.markets.values()].filter(
    (m) => (q.symbol === undefined || m.config.id === q.symbol) && m.markPx8 !== undefined,
  );
  if (q.symbol !== undefined && markets.length === 0)
    throw new ApiError('UNKNOWN_MARKET', `unknown market (or no mark yet) ${q.symbol}`);
  return {
    seq: snap.seq,
    timeMs: snap.timeMs,
    settlementAsset: state.settlement.id,
    stepPct,
    markets: markets.map((m) => {
      const mark = m.markPx8!;
      // band k covers prices between mark·(1 + k·step) and mark·(1 + (k+1)·step) (k < 0: below)
      const stepPpm = BigInt(Math.round(stepPct * 10_000));
      const edge = (k: number) => (mark * (1_000_000n + BigInt(k) * stepPpm)) / 1_000_000n;
      const bands = new Map<
        number,
        { longs: bigint; shorts: bigint; longSize: bigint; shortSize: bigint; n: number }
      >();
      for (let k = -steps; k < steps; k++)
        bands.set(k, { longs: 0n, shorts: 0n, longSize: 0n, shortSize: 0n, n: 0 });
      let now = 0n;
      let nowCount = 0;
      let beyond = 0n;
      let noPrice = 0;
      let multi = 0;
      for (const r of snap.rows) {
        if (r.market !== m.config.id) continue;
        if (r.liqPx8 === null) {
          noPrice++;
          continue;
        }
        if (r.scopePositions > 1) multi++;
        const value = notionalAt(r.sizeQty9, r.liqPx8, qd);
        const reached = r.side === 'long' ? r.liqPx8 >= mark : r.liqPx8 <= mark;
        if (reached) {
          now += value;
          nowCount++;
          continue;
        }
        // the band the liquidation price lies in
        const k = Math.floor((Number(r.liqPx8 - mark) / Number(mark)) * (100 / stepPct));
        let kk = k;
        // exact correction of the float guess at band edges
        while (kk > -steps - 1 && r.liqPx8 < edge(kk)) kk--;
        while (kk < steps && r.liqPx8 >= edge(kk + 1)) kk++;
        const b = bands.get(kk);
        if (!b) {
          beyond += value;
          continue;
        }
        b.n++;
        if (r.side === 'long') {
          b.longs += value;
          b.longSize += r.sizeQty9;
        } else {
          b.shorts += value;
          b.shortSize += r.sizeQty9;
        }
      }
      // cumulative: everything liquidated on the way from the mark to the band (exact sums)
      const cumulative = new Map<number, bigint>();
      let run = 0n;
      for (let k = -1; k >= -steps; k--) cumulative.set(k, (run += bands.get(k)!.longs));
      run = 0n;
      for (let k = 0; k < steps; k++) cumulative.set(k, (run += bands.get(k)!.shorts));
      const levels = [...bands].map(([k, b]) => ({
        k,
        from: px(edge(k)),
        to: px(edge(k + 1)),
        positions: b.n,
        longNotional: formatDecimal(b.longs, qd),
        shortNotional: formatDecimal(b.shorts, qd),
        longSize: qty(b.longSize),
        shortSize: qty(b.shortSize),
        cumulativeNotional: formatDecimal(cumulative.get(k)!, qd),
      }));
      return {
        symbol: m.config.id,
        markPrice: px(mark),
        liquidatableNow: { positions: nowCount, notional: formatDecimal(now, qd) },
        beyondRange: formatDecimal(beyond, qd),
        withoutLiquidationPrice: noPrice,
        multiPositionScopes: multi,
        levels,
      };
    }),
  };
}

function cascade(ctx: AppContext, q: z.infer<typeof CascadeQuery>) {
  const snap = dash(ctx).snapshots.get();
  const state = ctx.sink.engine.state;
  const m = state.markets.get(q.symbol);
  if (!m || m.markPx8 === undefined)
    throw new ApiError('UNKNOWN_MARKET', `unknown market (or no mark yet) ${q.symbol}`);
  const qd = state.settlement.decimals;
  const mark = m.markPx8;
  const target = (mark * BigInt(Math.round((100 + q.movePct) * 10_000))) / 1_000_000n;
  const hit = snap.rows.filter(
    (r) =>
      r.market === q.symbol &&
      r.liqPx8 !== null &&
      (r.side === 'long' ? r.liqPx8 >= target : r.liqPx8 <= target),
  );
  const already = hit.filter((r) => (r.side === 'long' ? r.liqPx8! >= mark : r.liqPx8! <= mark));
  const scopeOf = (r: RiskRow) => `${r.subKey}|${r.scope}`;
  // The cascade: the model walks px8 prices as plain numbers (exact up to 2^53), so its first
  // round is exactly `hit`; the rows it liquidates are summed exactly (cascade-rounds.ts).
  const rows = snap.rows.filter((r) => r.market === q.symbol && r.liqPx8 !== null) as (RiskRow & {
    liqPx8: bigint;
  })[];
  const depth = cascadeDepth(m.openInterestQty9, q.depthPerPct, q.depthExponent);
  const hitRows = hit as (RiskRow & { liqPx8: bigint })[];
  return {
    seq: snap.seq,
    symbol: q.symbol,
    movePct: q.movePct,
    markPrice: px(mark),
    targetPrice: px(target),
    settlementAsset: state.settlement.id,
    firstRound: {
      positions: hit.length,
      scopes: new Set(hit.map(scopeOf)).size,
      alreadyLiquidatable: already.length,
      ...cascadeSizes(hitRows),
      notionalAtLiquidationPrices: formatDecimal(notionalAtLiquidation(hitRows, qd), qd),
      largest: [...hit]
        .sort((a, b) => (b.notionalQuote > a.notionalQuote ? 1 : b.notionalQuote < a.notionalQuote ? -1 : 0))
        .slice(0, 20)
        .map((r) => ({
          account: r.account,
          sub: r.sub,
          scope: r.scope,
          side: r.side,
          size: qty(r.sizeQty9),
          liquidationPrice: px(r.liqPx8),
          notional: formatDecimal(r.notionalQuote, qd),
        })),
    },
    afterCascade: cascadeRounds(rows, scopeOf, mark, target, depth, qd),
    depthModel: {
      kind: 'parametric',
      ...depth,
      basis: q.depthPerPct === undefined ? 'open interest' : 'request',
      openInterest: qty(m.openInterestQty9),
      note: 'each liquidated position is closed in full into the book (an upper bound of partial liquidations); nothing refills between rounds',
    },
  };
}

function overview(ctx: AppContext, sinceT: number | undefined) {
  const state = ctx.sink.engine.state;
  const d = dash(ctx);
  const snap = d.snapshots.get();
  const qd = state.settlement.decimals;
  const im = new Map<string, bigint>();
  const oiNotional = new Map<string, bigint>();
  for (const r of snap.rows) {
    im.set(r.market, (im.get(r.market) ?? 0n) + r.positionInitialQuote);
    oiNotional.set(r.market, (oiNotional.get(r.market) ?? 0n) + r.notionalQuote);
  }
  const totals = { partial: 0, full: 0, bankrupt: 0, backstop: 0, adl: 0 };
  const series = d.history.series(sinceT);
  return {
    seq: state.seq,
    timeMs: state.timeMs,
    riskSeq: snap.seq,
    settlementAsset: state.settlement.id,
    insuranceFund: wireInsurance(state),
    markets: [...state.markets.values()].map((m) => {
      const o = m.oracle?.state;
      const notional = oiNotional.get(m.config.id) ?? 0n;
      return {
        symbol: m.config.id,
        markPrice: px(m.markPx8),
        indexPrice: px(o?.index.pricePx8),
        // both sides hold the open interest: IM over the long and the short notional
        openInterest: qty(m.openInterestQty9),
        positionsNotional: formatDecimal(notional, qd),
        initialMargin: formatDecimal(im.get(m.config.id) ?? 0n, qd),
        imOverNotional: notional === 0n ? null : Number(im.get(m.config.id) ?? 0n) / Number(notional),
        liquidationsPaused: m.liquidationsPaused,
        // the operator's hold, and safe mode from either source
        safeModeForced: m.safeModeForced,
        safeMode: m.safeModeForced || o?.safeMode.active === true,
        oracle: o
          ? {
              indexReliable: o.index.reliable,
              safeMode: o.safeMode.active,
              safeModeReasons: o.safeMode.reasons,
              safeModeSinceMs: o.safeMode.sinceMs,
              breakerTripped: o.breaker.tripped,
              breakerTrippedAtMs: o.breaker.trippedAtMs,
              sources: [...o.sources.values()].map((s) => ({
                id: s.id,
                price: px(s.last?.pricePx8),
                timeMs: s.last?.timeMs ?? null,
                healthy: s.healthySinceMs !== null,
                accepted: s.accepted,
                rejected: s.rejected,
              })),
            }
          : null,
      };
    }),
    liquidationTotals: series.minutes.reduce((t, b) => {
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) t[k] += b.counts[k];
      return t;
    }, totals),
    history: series,
  };
}

export const dashboardRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/dashboard/overview',
    tag: 'dashboard',
    summary:
      'Risk console overview: insurance fund, socialized loss, marks, index and oracle sources, safe mode and breaker, open interest, IM over notional, and their history since the service started',
    auth: 'public',
    query: z.strictObject({ since: numberText('since', 0, 8_640_000_000_000_000).optional() }),
    response: view,
    handler: (ctx, { query }) => overview(ctx, query.since),
  }),
  route({
    method: 'get',
    path: '/v1/risk/at-risk',
    tag: 'dashboard',
    summary:
      'Margin scopes ranked by the probability of touching their liquidation price within a horizon (GBM first passage at volatility sigma), with distance to liquidation, margin ratio, size and collateral mix; a trader key sees only its own',
    auth: ['trader', 'liquidator', 'operator'],
    query: AtRiskQuery,
    response: view,
    handler: (ctx, { key, query }) => atRisk(ctx, key, query),
  }),
  route({
    method: 'get',
    path: '/v1/risk/liquidation-map',
    tag: 'dashboard',
    summary:
      'Per market: the notional whose exact liquidation price lies in each price band below and above the mark, and what is liquidatable now',
    auth: ['liquidator', 'operator'],
    query: MapQuery,
    response: view,
    handler: (ctx, { query }) => liquidationMap(ctx, query),
  }),
  route({
    method: 'get',
    path: '/v1/risk/cascade',
    tag: 'dashboard',
    summary:
      "What a move of the market's mark by movePct would liquidate: the first round (exact, from the liquidation prices, every other price held) and after the cascade through the order-book depth model (rounds, final price)",
    auth: ['liquidator', 'operator'],
    query: CascadeQuery,
    response: view,
    handler: (ctx, { query }) => cascade(ctx, query),
  }),
  route({
    method: 'get',
    path: '/v1/accounts/:account/events',
    tag: 'dashboard',
    summary:
      "The account's engine events from the journal, newest first, a page at a time (before: the nextBefore of the previous page); each request reads a bounded stretch of the journal",
    auth: ['trader', 'liquidator', 'operator'],
    query: z.strictObject({
      limit: numberText('limit', 1, 200).optional(),
      before: numberText('before', 1, Number.MAX_SAFE_INTEGER).optional(),
    }),
    response: view,
    handler: async (ctx, { key, params, query }) => {
      const account = params.account!;
      requireRead(key, account);
      const d = dash(ctx);
      const limit = query.limit ?? 100;
      if (!d.readRange)
        return { account, source: 'memory', events: d.history.eventsOf(account, limit), nextBefore: null };
      const page = await accountEventsFromJournal(d.readRange, ctx.sink.engine.state.seq, account, {
        limit,
        ...(query.before === undefined ? {} : { before: Math.floor(query.before) }),
      });
      return { account, source: 'journal', ...page };
    },
  }),
];
