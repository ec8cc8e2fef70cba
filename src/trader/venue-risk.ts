/**
 * One venue's margin picture on its preset, and what it needs or can spare to keep every
 * liquidation price outside a band around the mark.
 *
 * The figures are the engine's own: the book is built with the calculator's scenario builder
 * (core/calculator) and every figure read with `evaluate`, every liquidation price with the
 * engine's exact trigger search.
 *
 * The band. "Liquidation price at least b from the mark" for a long in market m means the scope
 * is not liquidatable with m's mark at mark·(1 − b) (rounded down: the stricter side), everything
 * else held fixed; for a short, at mark·(1 + b) (rounded up). Health (equity − MM) only grows as
 * the price moves back towards the mark (a long's equity falls by size·Δp while its MM falls by
 * at most mmr·size·Δp, mmr < 1), so "health ≥ 0 at the band edge" is exactly "the liquidation
 * price lies at or beyond the band edge". Adding A of the settlement asset to the scope raises
 * health by exactly A at every price (weight 1, no requirement on it), so the scope's top-up is
 *
 *     deficit = max(0, max over the scope's positions of −health at that position's band edge)
 *
 * and the cross scope can spare
 *
 *     surplus = max(0, min(min over positions of health at the band edge,
 *                          free collateral (equity at initial weights − IM), settlement balance))
 *
 * (what the venue lets one withdraw without breaching initial margin, from cash only, and
 * without pulling any liquidation price into the band). Isolated positions are their own scopes:
 * their deficit is added to their isolated margin, first from the venue's own cross spare (a
 * move inside the venue), the rest from outside; they never spare anything here.
 */
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  type ScopeView,
} from '../core/account/figures.ts';
import { bankruptcyPrice, liquidationPrice } from '../core/account/report.ts';
import { CalculatorError, liquidationPriceDetailed } from '../core/calculator/liquidation-price.ts';
import {
  abs,
  divRound,
  formatDecimal,
  max,
  min,
  mulDiv,
  PPM,
  PRICE_DECIMALS,
  parseDecimal,
  QTY_DECIMALS,
  rescale,
} from '../core/num/index.ts';
import { USD_DECIMALS } from './transfer-plan.ts';
import { ClearingInputError, type VenueBook } from './venue-export.ts';

export interface PositionRisk {
  readonly market: string;
  readonly base: string;
  readonly scope: 'cross' | 'isolated';
  readonly side: 'long' | 'short';
  readonly size: string;
  readonly markPrice: string;
  readonly notional: string;
  readonly unrealizedPnl: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly liquidationPrice: string | null;
  readonly bankruptcyPrice: string | null;
  /** (liquidation − mark) / mark, signed fraction (6 places); null without a liquidation price. */
  readonly distance: string | null;
  /** The band edge price and the scope's health there (settlement asset). */
  readonly bandEdge: string;
  readonly healthAtBandEdge: string;
}

export interface ScopeNeed {
  /** 'cross' or the isolated position's market. */
  readonly scope: string;
  /** Settlement-asset amount to add, in the asset's smallest unit. */
  readonly topUp: bigint;
}

export interface VenueRisk {
  readonly venue: string;
  readonly preset: string;
  readonly settlementAsset: string;
  readonly settlementDecimals: number;
  readonly walletBalance: string;
  /** Cross scope figures (settlement asset). */
  readonly equity: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly freeCollateral: string;
  readonly health: string;
  /** MM / equity (6 places); null when equity ≤ 0. */
  readonly marginRatio: string | null;
  /** Some scope is liquidatable right now. */
  readonly liquidatable: boolean;
  /** Wallet + isolated margins (the venue's collateral, settlement asset). */
  readonly collateral: string;
  readonly positions: readonly PositionRisk[];
  /** The smallest |distance| of its positions to their liquidation prices; null if none has one. */
  readonly closestDistance: string | null;
  /** Per-scope top-ups to bring every liquidation price outside the band. */
  readonly needs: readonly ScopeNeed[];
  /** Total top-up, usd6 (each scope rounded up). */
  readonly deficitUsd6: bigint;
  /** What the venue can send without breaching its band or IM, usd6 (rounded down). */
  readonly surplusUsd6: bigint;
  readonly ignoredAssets: readonly string[];
}

/** The band edge of a position: long → mark·(1 − band) rounded down; short → mark·(1 + band) rounded up. */
export function bandEdgePx8(markPx8: bigint, long: boolean, bandPpm: bigint): bigint {
  return long ? mulDiv(markPx8, PPM - bandPpm, PPM, 'floor') : mulDiv(markPx8, PPM + bandPpm, PPM, 'ceil');
}

/** The venue's figures, liquidation prices and band needs (module header). */
export function venueRisk(book: VenueBook, bandPpm: bigint): VenueRisk {
  if (bandPpm < 0n || bandPpm >= PPM) throw new RangeError('band must be in [0, 1)');
  const cfg = book.preset.config();
  const qd = cfg.assets?.find((a) => a.id === book.settlementAsset)?.decimals ?? 6;
  const q = (v: bigint) => formatDecimal(v, qd);
  const px = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);
  if (book.positions.length === 0) {
    const w = rescale(parseAmount(book.walletBalance, qd), qd, USD_DECIMALS, 'floor');
    return {
      venue: book.venue,
      preset: book.preset.id,
      settlementAsset: book.settlementAsset,
      settlementDecimals: qd,
      walletBalance: book.walletBalance,
      equity: book.walletBalance,
      initialMargin: '0',
      maintenanceMargin: '0',
      freeCollateral: book.walletBalance,
      health: book.walletBalance,
      marginRatio: null,
      liquidatable: false,
      collateral: book.walletBalance,
      positions: [],
      closestDistance: null,
      needs: [],
      deficitUsd6: 0n,
      surplusUsd6: max(0n, w),
      ignoredAssets: book.ignoredAssets,
    };
  }
  let detailed: ReturnType<typeof liquidationPriceDetailed>;
  try {
    detailed = liquidationPriceDetailed({
      preset: book.preset,
      walletBalance: book.walletBalance,
      positions: book.positions,
      marks: book.marks,
      market: book.positions[0]!.market,
    });
  } catch (e) {
    // The calculator refuses what it cannot build (an amount finer than the asset's decimals, a
    // size off the scale): the venue's export is at fault.
    if (e instanceof CalculatorError)
      throw new ClearingInputError('BAD_AMOUNT', `${book.venue}: ${e.message}`);
    throw e;
  }
  const state = detailed.state;
  const sub = detailed.view?.sub;
  if (!sub) throw new RangeError(`venue ${book.venue}: no account was built`);
  const cross = crossView(sub);
  const crossFig = evaluate(state, cross);

  const scopes = new Map<string, ScopeView>([['cross', cross]]);
  for (const p of book.positions)
    if (p.mode === 'isolated') scopes.set(p.market, isolatedView(state, sub, p.market));
  const positions: PositionRisk[] = [];
  const worstHealth = new Map<string, bigint>();
  let closest: bigint | null = null;
  let liquidatable = isLiquidatable(crossFig);
  for (const p of book.positions) {
    const scopeKey = p.mode === 'isolated' ? p.market : 'cross';
    const view = scopes.get(scopeKey)!;
    const f = evaluate(state, view);
    if (scopeKey !== 'cross') liquidatable ||= isLiquidatable(f);
    const pf = f.positions.find((x) => x.market === p.market)!;
    const long = pf.size > 0n;
    const edge = bandEdgePx8(pf.markPx8, long, bandPpm);
    const healthAt = evaluate(state, view, new Map([[p.market, edge]])).healthQuote;
    const prev = worstHealth.get(scopeKey);
    worstHealth.set(scopeKey, prev === undefined ? healthAt : min(prev, healthAt));
    const lp = liquidationPrice(state, view, p.market);
    const bp = bankruptcyPrice(state, view, p.market);
    const dist = lp === null ? null : divRound((lp - pf.markPx8) * PPM, pf.markPx8, 'halfEven');
    if (dist !== null && (closest === null || abs(dist) < closest)) closest = abs(dist);
    positions.push({
      market: p.market,
      base: book.baseOf[p.market] ?? p.market,
      scope: p.mode === 'isolated' ? 'isolated' : 'cross',
      side: long ? 'long' : 'short',
      size: formatDecimal(abs(pf.size), QTY_DECIMALS),
      markPrice: px(pf.markPx8),
      notional: q(pf.notionalQuote),
      unrealizedPnl: q(pf.unrealizedPnlQuote),
      initialMargin: q(pf.initialQuote),
      maintenanceMargin: q(pf.maintenanceQuote),
      liquidationPrice: lp === null ? null : px(lp),
      bankruptcyPrice: bp === null ? null : px(bp),
      distance: dist === null ? null : formatDecimal(dist, 6),
      bandEdge: px(edge),
      healthAtBandEdge: q(healthAt),
    });
  }
  const needs: ScopeNeed[] = [];
  for (const [scope, h] of worstHealth) if (h < 0n) needs.push({ scope, topUp: -h });
  const settlementBalance = sub.balances.get(state.settlement.id) ?? 0n;
  const crossNeed = needs.find((n) => n.scope === 'cross')?.topUp ?? 0n;
  const isolatedNeeds = needs.reduce((s, n) => s + (n.scope === 'cross' ? 0n : n.topUp), 0n);
  // What the cross scope can give up: nothing if it needs a top-up itself.
  const crossSpare =
    crossNeed > 0n
      ? 0n
      : max(
          0n,
          min(
            min(worstHealth.get('cross') ?? crossFig.healthQuote, crossFig.freeCollateralQuote),
            settlementBalance,
          ),
        );
  // The venue first tops its isolated positions up from its own cross spare (a same-venue move).
  const net = crossNeed + isolatedNeeds - crossSpare;
  const deficitUsd6 = net > 0n ? rescale(net, qd, USD_DECIMALS, 'ceil') : 0n;
  const spare = net < 0n ? -net : 0n;
  let collateral = settlementBalance;
  for (const p of sub.positions.values()) if (p.isolated) collateral += p.isolatedMargin;
  return {
    venue: book.venue,
    preset: book.preset.id,
    settlementAsset: book.settlementAsset,
    settlementDecimals: qd,
    walletBalance: q(settlementBalance),
    equity: q(crossFig.equityQuote),
    initialMargin: q(crossFig.initialMarginQuote),
    maintenanceMargin: q(crossFig.maintenanceMarginQuote),
    freeCollateral: q(crossFig.freeCollateralQuote),
    health: q(crossFig.healthQuote),
    marginRatio:
      crossFig.equityQuote <= 0n
        ? null
        : formatDecimal(mulDiv(crossFig.maintenanceMarginQuote, PPM, crossFig.equityQuote, 'ceil'), 6),
    liquidatable,
    collateral: q(collateral),
    positions,
    closestDistance: closest === null ? null : formatDecimal(closest, 6),
    needs,
    deficitUsd6,
    surplusUsd6: rescale(spare, qd, USD_DECIMALS, 'floor'),
    ignoredAssets: book.ignoredAssets,
  };
}

/** A decimal string at the settlement scale; more places than the asset holds is an input error. */
function parseAmount(text: string, decimals: number): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) throw new ClearingInputError('BAD_AMOUNT', `${JSON.stringify(text)}: ${r.issue.reason}`);
  return r.value;
}

/**
 * The book after a cash flow: `received` (settlement smallest unit, negative for a sender) lands
 * in the cross wallet, and every isolated scope's need moves from the wallet to its margin.
 */
export function bookAfter(book: VenueBook, risk: VenueRisk, received: bigint): VenueBook {
  const qd = risk.settlementDecimals;
  let wallet = parseAmount(book.walletBalance, qd) + received;
  const isoNeed = new Map(risk.needs.filter((n) => n.scope !== 'cross').map((n) => [n.scope, n.topUp]));
  const positions = book.positions.map((p) => {
    const need = isoNeed.get(p.market);
    if (need === undefined || p.isolatedMargin === undefined) return p;
    wallet -= need;
    return { ...p, isolatedMargin: formatDecimal(parseAmount(p.isolatedMargin, qd) + need, qd) };
  });
  return { ...book, positions, walletBalance: formatDecimal(wallet, qd) };
}
