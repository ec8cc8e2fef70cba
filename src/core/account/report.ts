/**
 * The figures of every scope of a subaccount, with each position's liquidation
 * and bankruptcy price, as a risk team or a trader would read them.
 *
 * Liquidation price: the mark of that position's market at which the scope's
 * equity meets its maintenance margin, holding every other price, position and
 * balance fixed (for an isolated position this is exact by construction). It is
 * found by bisection on the exact figures, so it is the engine's own trigger:
 * for a long, the scope is liquidatable at the reported price and not one unit
 * (1e-8) above it; for a short, liquidatable at it and not one unit below.
 * Bankruptcy price: likewise where net value (full-weight collateral + PnL) < 0.
 */

import { entryPricePx8 } from '../margin/contract-value.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../model/state.ts';
import { formatDecimal, PPM } from '../num/index.ts';
import { PRICE_DECIMALS, QTY_DECIMALS } from '../num/units.ts';
import type { DeribitBookMargin } from '../portfolio/deribit-pm.ts';
import type { PortfolioRequirement } from '../portfolio/risk-matrix.ts';
import { type DistanceToLiquidation, distanceToLiquidation, scopeUnderlyings } from './distance.ts';
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  maintenanceView,
  marginRatioPpm,
  type ScopeFigures,
  type ScopeView,
} from './figures.ts';
import { portfolioRequirementQuote } from './portfolio-scope.ts';

const MAX_PX8 = 10n ** 20n; // 1e12 quote per base: beyond any real price

/**
 * Boundary price for `market` in `view`: for a long, the highest price at which
 * `bad` holds; for a short, the lowest. null when no price in (0, MAX] triggers it.
 */
export function triggerPrice(
  state: ReadonlyEngineState,
  view: ScopeView,
  market: string,
  bad: (f: ScopeFigures) => boolean,
): bigint | null {
  const pos = view.positions.find((p) => p.market === market);
  if (!pos || pos.size === 0n) return null;
  const marks = new Map<string, bigint>();
  const bisected = maintenanceView(view); // both triggers read equity, maintenance or net value only
  const badAt = (px: bigint) => {
    marks.set(market, px);
    return bad(evaluate(state, bisected, marks));
  };
  if (pos.size > 0n) {
    // bad for low prices: find max p with badAt(p).
    if (!badAt(1n)) return null;
    if (badAt(MAX_PX8)) return MAX_PX8;
    let lo = 1n;
    let hi = MAX_PX8;
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if (badAt(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }
  // short: bad for high prices: find min p with badAt(p).
  if (!badAt(MAX_PX8)) return null;
  if (badAt(1n)) return 1n;
  let lo = 1n;
  let hi = MAX_PX8;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (badAt(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

export const liquidationPrice = (state: ReadonlyEngineState, view: ScopeView, market: string) =>
  triggerPrice(state, view, market, isLiquidatable);
export const bankruptcyPrice = (state: ReadonlyEngineState, view: ScopeView, market: string) =>
  triggerPrice(state, view, market, (f) => f.netValueQuote < 0n);

export interface ScopeReport {
  scope: string;
  collateralValue: string;
  collateralValueInitial: string;
  unrealizedPnl: string;
  equity: string;
  initialMargin: string;
  maintenanceMargin: string;
  freeCollateral: string;
  /** Initial margin reserved for resting orders (docs/orders.md), already out of freeCollateral. */
  openOrderInitialMargin: string;
  health: string;
  /** MM / equity; null when equity ≤ 0. */
  marginRatio: string | null;
  liquidatable: boolean;
  bankrupt: boolean;
  positions: {
    market: string;
    side: 'long' | 'short';
    size: string;
    entryPrice: string;
    markPrice: string;
    notional: string;
    unrealizedPnl: string;
    initialMargin: string;
    maintenanceMargin: string;
    liquidationPrice: string | null;
    bankruptcyPrice: string | null;
    isolatedMargin?: string;
  }[];
  /**
   * Books with options or in portfolio margin: the nearest moves of each underlying at which
   * the scope is liquidatable (account/distance.ts). A single market's liquidation price does
   * not describe them: an option's mark follows its underlying.
   */
  distanceToLiquidation?: DistanceToLiquidation[];
  /** Portfolio margin: the risk matrix breakdown (worst scenario per underlying, add-ons). */
  portfolio?: PortfolioRequirement;
  /**
   * Portfolio margin under 'deribit-pm': Deribit's breakdown of the book, in its currency (the
   * coin for a coin-settled book): worst case and its bucket, roll and delta shocks, RMM, MM, IM.
   */
  deribitPortfolio?: DeribitBookMargin;
}

export interface SubaccountReport {
  account: string;
  sub: string;
  balances: Record<string, string>;
  cross: ScopeReport;
  isolated: ScopeReport[];
  /** Resting orders, in the order they were placed (docs/orders.md). */
  openOrders: OpenOrderReport[];
}

export interface OpenOrderReport {
  orderId: string;
  market: string;
  side: 'buy' | 'sell';
  /** Remaining size. */
  size: string;
  price: string;
  reduceOnly: boolean;
}

export interface ReportOptions {
  /** Portfolio accounts: include the whole scenario × P&L matrix. */
  readonly matrix?: boolean;
}

function scopeReport(
  state: ReadonlyEngineState,
  s: ReadonlySubaccount,
  view: ScopeView,
  name: string,
  opts: ReportOptions = {},
): ScopeReport {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const f = evaluate(state, view);
  const ratio = marginRatioPpm(f);
  const portfolio =
    view.scope.kind === 'cross' && s.portfolioMargin === true && state.portfolio !== undefined;
  const hasOptions = view.positions.some((p) => state.markets.get(p.market)!.config.option !== undefined);
  const extra: Pick<ScopeReport, 'distanceToLiquidation' | 'portfolio' | 'deribitPortfolio'> = {};
  if (portfolio || hasOptions) {
    extra.distanceToLiquidation = scopeUnderlyings(state, view).flatMap(
      (u) => distanceToLiquidation(state, view, u) ?? [],
    );
  }
  if (portfolio) {
    const r = portfolioRequirementQuote(state, view.positions, undefined, {
      includeMatrix: opts.matrix === true,
      balances: view.balances,
    });
    if (r.detail) extra.portfolio = r.detail;
    if (r.deribit) extra.deribitPortfolio = r.deribit;
  }
  return {
    scope: name,
    collateralValue: q(f.collateralMaintenanceQuote),
    collateralValueInitial: q(f.collateralInitialQuote),
    unrealizedPnl: q(f.unrealizedPnlQuote),
    equity: q(f.equityQuote),
    initialMargin: q(f.initialMarginQuote),
    maintenanceMargin: q(f.maintenanceMarginQuote),
    freeCollateral: q(f.freeCollateralQuote),
    openOrderInitialMargin: q(f.openOrderInitialMarginQuote),
    health: q(f.healthQuote),
    marginRatio: ratio === null ? null : formatDecimal(ratio, 6),
    liquidatable: isLiquidatable(f),
    bankrupt: f.netValueQuote < 0n,
    positions: f.positions.map((p) => {
      const abs = p.size < 0n ? -p.size : p.size;
      // entry price: |entryValue| / |size| (linear), |size|·cv / |entryValue| (inverse: the
      // harmonic average of the fills), shown at 8 decimals
      const entryPx = entryPricePx8(state.markets.get(p.market)!.config, p.size, p.entryValue, qd);
      // an option's own mark alone does not move its requirement the way its underlying does
      const option = state.markets.get(p.market)!.config.option !== undefined;
      const liq = option ? null : liquidationPrice(state, view, p.market);
      const bkr = option ? null : bankruptcyPrice(state, view, p.market);
      const pos = s.positions.get(p.market);
      return {
        market: p.market,
        side: p.size > 0n ? ('long' as const) : ('short' as const),
        size: formatDecimal(abs, QTY_DECIMALS),
        entryPrice: formatDecimal(entryPx, PRICE_DECIMALS),
        markPrice: formatDecimal(p.markPx8, PRICE_DECIMALS),
        notional: q(p.notionalQuote),
        unrealizedPnl: q(p.unrealizedPnlQuote),
        initialMargin: q(p.initialQuote),
        maintenanceMargin: q(p.maintenanceQuote),
        liquidationPrice: liq === null ? null : formatDecimal(liq, PRICE_DECIMALS),
        bankruptcyPrice: bkr === null ? null : formatDecimal(bkr, PRICE_DECIMALS),
        ...(pos?.isolated ? { isolatedMargin: q(pos.isolatedMargin) } : {}),
      };
    }),
    ...extra,
  };
}

export function subaccountReport(
  state: ReadonlyEngineState,
  s: ReadonlySubaccount,
  opts: ReportOptions = {},
): SubaccountReport {
  const balances: Record<string, string> = {};
  for (const [asset, bal] of s.balances)
    balances[asset] = formatDecimal(bal, state.assets.get(asset)!.decimals);
  const isolated: ScopeReport[] = [];
  for (const p of s.positions.values()) {
    if (p.isolated)
      isolated.push(scopeReport(state, s, isolatedView(state, s, p.market), `isolated:${p.market}`));
  }
  return {
    account: s.ref.account,
    sub: s.ref.sub,
    balances,
    cross: scopeReport(state, s, crossView(s), 'cross', opts),
    isolated,
    openOrders: [...(state.ordersBySub.get(s.key)?.values() ?? [])].map((o) => ({
      orderId: o.id,
      market: o.market,
      side: o.side,
      size: formatDecimal(o.size, QTY_DECIMALS),
      price: formatDecimal(o.pricePx8, PRICE_DECIMALS),
      reduceOnly: o.reduceOnly,
    })),
  };
}

export { PPM };
