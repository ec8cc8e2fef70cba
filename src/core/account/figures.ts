/**
 * Account figures (DESIGN §4): collateral value, unrealized PnL, equity, IM, MM,
 * free collateral, health and margin ratio, for one margin *scope*: the cross
 * scope of a subaccount (its balances and cross positions) or one isolated
 * position with its own margin.
 *
 * Rounding is conservative: collateral and position values round down, requirements up.
 * Figures are computed from a `ScopeView`, so hypotheticals (a fill before it
 * happens, a liquidation size being searched) cost a small copy, not a state clone.
 */

import { initAssetWeightScaled, initLiabilityWeightScaled } from '../collateral/bank-totals.ts';
import { collateralValueQuote } from '../collateral/valuation.ts';
import { assetWeightPpm, liabilityWeightPpm } from '../collateral/weights.ts';
import { notionalValue, signedValue } from '../margin/contract-value.ts';
import { applyLeverageCap } from '../margin/models.ts';
import { optionPositionRequirement } from '../margin/option-margin.ts';
import { InlineMap2 } from '../model/inline-map.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import { max, mulDiv, PPM } from '../num/index.ts';
import { closeFeeMaintenanceQuote } from './close-fee.ts';
import { driftAccountFigures, openOrderChargeQuote } from './drift-arithmetic.ts';
import { pendingFundingQuote, scopePendingFundingQuote } from './lazy-funding.ts';
import {
  addOrderTerms,
  type OrderLite,
  type OrderSums,
  reservationFromSums,
  worstCaseSizes,
} from './open-orders.ts';
import { positiveHealthHaircut } from './pnl-haircut.ts';
import { portfolioFiguresQuote } from './portfolio-scope.ts';
import { assetPricePx8, markOf, type PositionLite } from './prices.ts';
import { safeMaintenanceOf, safePositionFigures, safeRequirement } from './safe-position.ts';

let safeFiguresEnabled = true;
/** Turns the safe-integer path off (every position priced in bigints) or back on: for tests. */
export function setSafePositionFigures(on: boolean): void {
  safeFiguresEnabled = on;
}

export type Scope = { kind: 'cross' } | { kind: 'isolated'; market: string };

export function scopeName(scope: Scope): string {
  return scope.kind === 'cross' ? 'cross' : `isolated:${scope.market}`;
}

/** What a scope holds: positions, balances (cross) or isolated margin (settlement units). */
export interface ScopeView {
  readonly sub: ReadonlySubaccount;
  readonly scope: Scope;
  readonly positions: readonly PositionLite[];
  /** Collateral balances; for an isolated scope only the settlement asset. */
  readonly balances: ReadonlyMap<string, bigint>;
  /** Extra settlement-asset amount added to the balances (hypothetical cash flows). */
  readonly settlementDelta: bigint;
  /**
   * The resting orders whose margin this scope reserves, when not the subaccount's current ones
   * (a hypothetical: an order being placed, one partly filled). Only a cross scope reserves:
   * an order in an isolated market is paid for by the cross balance that tops the position up.
   */
  readonly orders?: readonly OrderLite[];
  /**
   * Hypothetical sizes of isolated positions whose orders this (cross) scope reserves for;
   * without an entry, the subaccount's current isolated position.
   */
  readonly orderPositionSizes?: ReadonlyMap<string, bigint>;
  /**
   * Requirements position by position even in a portfolio-margin subaccount (the figures
   * cache's per-position terms; it adds the portfolio requirement of the whole book itself).
   */
  readonly standalone?: boolean;
}

export interface PositionFigures {
  readonly market: string;
  readonly size: bigint;
  readonly entryValue: bigint;
  readonly markPx8: bigint;
  readonly notionalQuote: bigint;
  readonly unrealizedPnlQuote: bigint;
  readonly initialQuote: bigint;
  readonly maintenanceQuote: bigint;
  /**
   * The taker fee rate (ppm) whose fee to close at the bankruptcy price a cross scope adds to
   * its maintenance (market `closeFeeInMaintenance`, close-fee.ts); absent otherwise.
   * `maintenanceQuote` is without it.
   */
  readonly closeFeePpm?: bigint;
}

export interface ScopeFigures {
  readonly collateralInitialQuote: bigint;
  readonly collateralMaintenanceQuote: bigint;
  /** Collateral at full weight (no haircut): what the scope would be worth liquidated at the oracle. */
  readonly collateralRawQuote: bigint;
  readonly unrealizedPnlQuote: bigint;
  /** equity = maintenance-weighted collateral + unrealized PnL (liquidation trigger: equity < MM). */
  readonly equityQuote: bigint;
  readonly equityInitialQuote: bigint;
  /** Net value at full weight; the scope is bankrupt when this is < 0. */
  readonly netValueQuote: bigint;
  readonly initialMarginQuote: bigint;
  readonly maintenanceMarginQuote: bigint;
  /** Initial margin reserved for resting orders (open-orders.ts); never part of maintenance. */
  readonly openOrderInitialMarginQuote: bigint;
  /** equityInitial − IM − open-order IM */
  readonly freeCollateralQuote: bigint;
  /** equity − MM */
  readonly healthQuote: bigint;
  readonly positions: readonly PositionFigures[];
}

export function crossView(sub: ReadonlySubaccount, settlementDelta = 0n): ScopeView {
  const positions: PositionLite[] = [];
  for (const p of sub.positions.values()) if (!p.isolated) positions.push(p);
  return { sub, scope: { kind: 'cross' }, positions, balances: sub.balances, settlementDelta };
}

export function isolatedView(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  market: string,
  settlementDelta = 0n,
): ScopeView {
  const p = sub.positions.get(market);
  const margin = p?.isolated === true ? p.isolatedMargin : 0n;
  return {
    sub,
    scope: { kind: 'isolated', market },
    positions: p?.isolated === true ? [p] : [],
    balances: new InlineMap2<string, bigint>().set(state.settlement.id, margin),
    settlementDelta,
  };
}

export function viewOf(state: ReadonlyEngineState, sub: ReadonlySubaccount, scope: Scope): ScopeView {
  return scope.kind === 'cross' ? crossView(sub) : isolatedView(state, sub, scope.market);
}

/** Replaces (or adds, or removes) one position in a view. */
export function withPosition(view: ScopeView, next: PositionLite, settlementDelta: bigint): ScopeView {
  const positions = view.positions.filter((p) => p.market !== next.market);
  if (next.size !== 0n) positions.push(next);
  return { ...view, positions, settlementDelta: view.settlementDelta + settlementDelta };
}

/**
 * Margin requirement of one position at a mark, with the user's leverage cap.
 *
 * With the market's `requirementOn: 'entry'` (Bybit) and the position's entry value given, the
 * requirement is taken on |entry value| (already exact quote units) instead of the mark notional;
 * `notionalQuote` is still the mark notional (what the position is worth now). Option markets
 * (standard options margin) read their underlying market's mark, from `marks` when given.
 */
export function positionRequirement(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  size: bigint,
  markPx8: bigint,
  maxLeverage: bigint | undefined,
  entryValue?: bigint,
  marks?: ReadonlyMap<string, bigint>,
): { notionalQuote: bigint; initialQuote: bigint; maintenanceQuote: bigint } {
  const qd = state.settlement.decimals;
  if (safeFiguresEnabled) {
    // safe-integer arithmetic when the market and the figures allow it (safe-position.ts)
    const fast = safeRequirement(market, qd, size, markPx8, maxLeverage !== undefined);
    if (fast !== undefined)
      return {
        notionalQuote: BigInt(fast.notional),
        initialQuote: BigInt(fast.initial),
        maintenanceQuote: BigInt(fast.maintenance),
      };
  }
  const absSize = size < 0n ? -size : size;
  const notionalQuote = notionalValue(market.config, absSize, markPx8, qd, 'ceil');
  const terms = market.config.option;
  if (market.config.margin.kind === 'standardOption' && terms !== undefined) {
    const underlying = markOf(state.markets.get(terms.underlying)!, marks);
    const req = optionPositionRequirement(market.config.margin, terms, size, underlying, markPx8, qd);
    return { notionalQuote, ...req };
  }
  const basisQuote = requirementBasisQuote(market, notionalQuote, entryValue);
  // Only the open-interest-scaled model reads the market's open interest.
  const oiQuote =
    market.config.margin.kind === 'openInterestScaled'
      ? notionalValue(market.config, market.openInterestQty9, markPx8, qd, 'ceil')
      : 0n;
  const req = applyLeverageCap(
    market.model.requirement(
      { sizeQty9: absSize, notionalQuote: basisQuote },
      { openInterestQuote: oiQuote },
    ),
    basisQuote,
    maxLeverage,
  );
  const addOns = market.config.marginAddOns;
  if (addOns === undefined) {
    return { notionalQuote, initialQuote: req.initialQuote, maintenanceQuote: req.maintenanceQuote };
  }
  return { notionalQuote, ...withMarginAddOns(market, size, basisQuote, req) };
}

/** What `maintenanceNumbers` writes: Number(notionalQuote) and Number(maintenanceQuote). */
export interface MaintenanceNumbers {
  notional: number;
  maintenance: number;
}

/**
 * positionRequirement's notional and maintenance as numbers — exactly Number() of its bigints —
 * written into `out`; `sizeNumber` and `markNumber` are Number(size) and Number(markPx8), which
 * the caller converts once for many calls. Where the safe-integer path covers the position
 * (safe-position.ts safeMaintenanceOf) no bigint is made: the risk book's build (riskbook
 * `addSlot`) reads these two for every position of a million-account state, twice on a bracket
 * market, and positionRequirement's bigints (and its initial requirement) were a third of its
 * cost and of its garbage.
 */
export function maintenanceNumbers(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  size: bigint,
  sizeNumber: number,
  markPx8: bigint,
  markNumber: number,
  maxLeverage: bigint | undefined,
  out: MaintenanceNumbers,
): MaintenanceNumbers {
  if (
    safeFiguresEnabled &&
    safeMaintenanceOf(
      market,
      state.settlement.decimals,
      sizeNumber,
      markNumber,
      maxLeverage !== undefined,
      out,
    )
  )
    return out;
  const r = positionRequirement(state, market, size, markPx8, maxLeverage);
  out.notional = Number(r.notionalQuote);
  out.maintenance = Number(r.maintenanceQuote);
  return out;
}

/**
 * BitMEX's add-ons (market `marginAddOns`) on top of the model's requirement, on the same notional:
 * the exit taker fee and the funding the position pays at the next funding in maintenance, both
 * taker fees in initial. Added amounts round up, a funding rate the position receives lowers the
 * maintenance (rounded down, never below zero).
 */
function withMarginAddOns(
  market: ReadonlyMarketState,
  size: bigint,
  basisQuote: bigint,
  req: { initialQuote: bigint; maintenanceQuote: bigint },
): { initialQuote: bigint; maintenanceQuote: bigint } {
  const addOns = market.config.marginAddOns!;
  const fee = market.config.takerFee;
  let initialQuote = req.initialQuote;
  let maintenanceQuote = req.maintenanceQuote;
  if (addOns.initialTakerFees) initialQuote += mulDiv(basisQuote, 2n * fee, PPM, 'ceil');
  if (addOns.maintenanceTakerFee) maintenanceQuote += mulDiv(basisQuote, fee, PPM, 'ceil');
  if (addOns.maintenanceFunding && size !== 0n) {
    const paid9 = size > 0n ? market.lastFundingRate9 : -market.lastFundingRate9; // rate at 1e9
    if (paid9 > 0n) maintenanceQuote += mulDiv(basisQuote, paid9, RATE_ONE, 'ceil');
    else maintenanceQuote = max(0n, maintenanceQuote - mulDiv(basisQuote, -paid9, RATE_ONE, 'floor'));
  }
  return { initialQuote, maintenanceQuote };
}

const RATE_ONE = 1_000_000_000n;

/** The notional a requirement is computed on: the mark notional, or |entry value| (`requirementOn: 'entry'`). */
export function requirementBasisQuote(
  market: ReadonlyMarketState,
  markNotionalQuote: bigint,
  entryValue: bigint | undefined,
): bigint {
  if (market.config.requirementOn !== 'entry' || entryValue === undefined) return markNotionalQuote;
  return entryValue < 0n ? -entryValue : entryValue;
}

export function evaluate(
  state: ReadonlyEngineState,
  view: ScopeView,
  marks?: ReadonlyMap<string, bigint>,
): ScopeFigures {
  if (state.config.marginArithmetic === 'drift-v2') return driftScopeFigures(state, view, marks);
  const qd = state.settlement.decimals;
  let collInit = 0n;
  let collMaint = 0n;
  let collRaw = 0n;
  let sawSettlement = false;
  for (const [assetId, stored] of view.balances) {
    let balance = stored;
    if (assetId === state.settlement.id) {
      balance += view.settlementDelta;
      sawSettlement = true;
      collInit += balance;
      collMaint += balance;
      collRaw += balance;
      continue;
    }
    if (balance === 0n) continue;
    const asset = state.assets.get(assetId)!;
    const px = assetPricePx8(state, assetId);
    if (px === undefined) continue; // unpriced collateral counts for nothing (conservative)
    const base = { balance, assetDecimals: asset.decimals, pricePx8: px, quoteDecimals: qd };
    const haircut = asset.sizeHaircutFactor;
    // A borrow counts at its liability weight; a deposit at its (e-mode) weight (collateral/weights.ts).
    const liability = balance < 0n;
    // Init weights may scale with the bank's venue-wide totals (Mango; collateral/bank-totals.ts).
    collInit += collateralValueQuote({
      ...base,
      weightPpm: initAssetWeightScaled(
        state,
        asset,
        px,
        assetWeightPpm(state.config, view.sub, asset, 'initial'),
      ),
      sizeHaircutFactorPpm: haircut,
      ...(liability
        ? {
            liabilityWeightPpm: initLiabilityWeightScaled(
              state,
              asset,
              px,
              liabilityWeightPpm(asset, balance, 'initial'),
            ),
          }
        : {}),
    });
    collMaint += collateralValueQuote({
      ...base,
      weightPpm: assetWeightPpm(state.config, view.sub, asset, 'maintenance'),
      sizeHaircutFactorPpm: haircut,
      ...(liability ? { liabilityWeightPpm: liabilityWeightPpm(asset, balance, 'maintenance') } : {}),
    });
    collRaw += collateralValueQuote({ ...base, weightPpm: PPM, sizeHaircutFactorPpm: 0n });
  }
  if (!sawSettlement) {
    collInit += view.settlementDelta;
    collMaint += view.settlementDelta;
    collRaw += view.settlementDelta;
  }

  // Lazy funding: the scope's unsettled funding is part of its unrealized PnL (lazy-funding.ts).
  const lazy = state.config.fundingSettlement === 'lazy';
  let upnl = lazy ? scopePendingFundingQuote(state, view.sub, view.scope) : 0n;
  let im = 0n;
  let mm = 0n;
  const positions: PositionFigures[] = [];
  // Positive-health haircuts (pnl-haircut.ts), zero on markets without positiveHealthWeight.
  let haircutInit = 0n;
  let haircutMaint = 0n;
  for (const p of view.positions) {
    if (p.size === 0n) continue;
    const market = state.markets.get(p.market)!;
    const stored = lazy ? view.sub.positions.get(p.market) : undefined;
    // the per-position figure shows the stored position's unsettled funding (already in upnl)
    const funding = stored ? pendingFundingQuote(state, market, stored) : 0n;
    const f = positionFiguresAt(state, market, view.sub, p, funding, marks);
    const pnl = funding === 0n ? f.unrealizedPnlQuote : f.unrealizedPnlQuote - funding;
    upnl += pnl;
    im += f.initialQuote;
    mm += f.maintenanceQuote;
    const cut = positiveHealthHaircut(
      market.config.positiveHealthWeight,
      pnl,
      f.initialQuote,
      f.maintenanceQuote,
    );
    haircutInit += cut.initialQuote;
    haircutMaint += cut.maintenanceQuote;
    positions.push(f);
  }
  if (view.scope.kind === 'cross' && !view.standalone && view.sub.portfolioMargin && state.portfolio) {
    // One requirement for the whole book (hedges offset); per-position figures stay standalone.
    // Collateral's price risk is in the scenarios (portfolio-scope.ts), so it counts at full
    // value here instead of behind a haircut: a coin held against a short perpetual is a hedge.
    const pm = portfolioFiguresQuote(state, view.positions, marks, view.balances);
    im = pm.initialQuote;
    mm = pm.maintenanceQuote;
    collInit = collRaw;
    collMaint = collRaw;
  }
  const reserved = view.scope.kind === 'cross' ? openOrderMarginQuote(state, view, marks) : 0n;
  return scopeFiguresFromSums({
    collateral: { init: collInit, maint: collMaint, raw: collRaw },
    unrealizedPnl: upnl,
    haircut: { init: haircutInit, maint: haircutMaint },
    initialMargin: im,
    maintenanceMargin: mm,
    reserved,
    positions,
    crossCloseFees: view.scope.kind === 'cross',
  });
}

/**
 * One (non-zero) position's figures at its market's mark: its value (rounded down) less its entry
 * value, and its requirements with the subaccount's leverage cap. The body of `evaluate`'s loop,
 * shared with the figures cache's per-position terms (figures-cache.ts), so both are one
 * computation. `funding` (lazy funding, unsettled) is added to the figure's PnL only.
 */
export function positionFiguresAt(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  sub: ReadonlySubaccount,
  p: PositionLite,
  funding: bigint,
  marks?: ReadonlyMap<string, bigint>,
): PositionFigures {
  const mark = markOf(market, marks);
  // Safe-integer arithmetic when the market and the figures allow it (safe-position.ts), equal to
  // the bigint computation below to the unit (safe-position.prop.test.ts).
  const fast =
    funding === 0n && safeFiguresEnabled
      ? safePositionFigures(
          market,
          state.settlement.decimals,
          p.size,
          p.entryValue,
          mark,
          sub.maxLeverage.size > 0 && sub.maxLeverage.has(p.market),
        )
      : undefined;
  if (fast !== undefined) {
    const cfg = market.config;
    return cfg.closeFeeInMaintenance
      ? {
          market: p.market,
          size: p.size,
          entryValue: p.entryValue,
          markPx8: mark,
          notionalQuote: BigInt(fast.notional),
          unrealizedPnlQuote: BigInt(fast.pnl),
          initialQuote: BigInt(fast.initial),
          maintenanceQuote: BigInt(fast.maintenance),
          closeFeePpm: cfg.takerFee,
        }
      : {
          market: p.market,
          size: p.size,
          entryValue: p.entryValue,
          markPx8: mark,
          notionalQuote: BigInt(fast.notional),
          unrealizedPnlQuote: BigInt(fast.pnl),
          initialQuote: BigInt(fast.initial),
          maintenanceQuote: BigInt(fast.maintenance),
        };
  }
  return positionFiguresExact(state, market, sub, p, funding, mark, marks);
}

/**
 * `positionFiguresAt` without the safe-integer figures (its requirement still takes the
 * safe-integer path unless setSafePositionFigures(false): the property test's reference turns
 * it off).
 */
export function positionFiguresExact(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  sub: ReadonlySubaccount,
  p: PositionLite,
  funding: bigint,
  mark: bigint,
  marks?: ReadonlyMap<string, bigint>,
): PositionFigures {
  const value = signedValue(market.config, p.size, mark, state.settlement.decimals, 'floor');
  const pnl = value - p.entryValue;
  const req = positionRequirement(
    state,
    market,
    p.size,
    mark,
    sub.maxLeverage.get(p.market),
    p.entryValue,
    marks,
  );
  return {
    market: p.market,
    size: p.size,
    entryValue: p.entryValue,
    markPx8: mark,
    notionalQuote: req.notionalQuote,
    unrealizedPnlQuote: funding === 0n ? pnl : pnl + funding,
    initialQuote: req.initialQuote,
    maintenanceQuote: req.maintenanceQuote,
    ...(market.config.closeFeeInMaintenance ? { closeFeePpm: market.config.takerFee } : {}),
  };
}

/** A scope's additive sums, from which every figure of `ScopeFigures` follows. */
export interface ScopeSums {
  collateral: { init: bigint; maint: bigint; raw: bigint };
  unrealizedPnl: bigint;
  /** Positive-PnL haircuts (pnl-haircut.ts), taken off equity. */
  haircut: { init: bigint; maint: bigint };
  initialMargin: bigint;
  maintenanceMargin: bigint;
  /** Initial margin reserved for resting orders. */
  reserved: bigint;
  positions: PositionFigures[];
  /** A cross scope: maintenance adds the positions' fees to close (close-fee.ts). */
  crossCloseFees?: boolean;
}

/**
 * The figures from a scope's sums: the one place that says how equity, free collateral and
 * health follow from them (evaluate and the cached cross figures both end here).
 */
export function scopeFiguresFromSums(s: ScopeSums): ScopeFigures {
  const equity = s.collateral.maint + s.unrealizedPnl - s.haircut.maint;
  const equityInit = s.collateral.init + s.unrealizedPnl - s.haircut.init;
  const mm = s.crossCloseFees
    ? s.maintenanceMargin + closeFeeMaintenanceQuote(s.positions, equity)
    : s.maintenanceMargin;
  return {
    collateralInitialQuote: s.collateral.init,
    collateralMaintenanceQuote: s.collateral.maint,
    collateralRawQuote: s.collateral.raw,
    unrealizedPnlQuote: s.unrealizedPnl,
    equityQuote: equity,
    equityInitialQuote: equityInit,
    netValueQuote: s.collateral.raw + s.unrealizedPnl,
    initialMarginQuote: s.initialMargin,
    maintenanceMarginQuote: mm,
    openOrderInitialMarginQuote: s.reserved,
    freeCollateralQuote: equityInit - s.initialMargin - s.reserved,
    healthQuote: equity - mm,
    positions: s.positions,
  };
}

/**
 * The initial margin a cross scope reserves for its subaccount's resting orders (all of them:
 * an isolated market's orders are paid for by the cross balance), market by market
 * (open-orders.ts). Each position is measured at the mark without its entry basis, so the
 * increment the orders add is measured on one basis.
 */
export function openOrderMarginQuote(
  state: ReadonlyEngineState,
  view: ScopeView,
  marks?: ReadonlyMap<string, bigint>,
): bigint {
  const orders = view.orders ?? state.ordersBySub.get(view.sub.key)?.values();
  if (orders === undefined || (Array.isArray(orders) && orders.length === 0)) return 0n;
  const byMarket = new Map<string, OrderLite[]>();
  for (const o of orders) {
    const list = byMarket.get(o.market);
    if (list) list.push(o);
    else byMarket.set(o.market, [o]);
  }
  let total = 0n;
  const charge = openOrderChargeQuote(state);
  for (const [id, list] of byMarket) {
    total += marketOrdersReservation(state, view, id, list, marks).totalQuote;
    if (charge !== 0n) total += BigInt(list.length) * charge;
  }
  return total;
}

/**
 * Scope figures in Drift's arithmetic (engine config `marginArithmetic: 'drift-v2'`,
 * drift-arithmetic.ts): equity and maintenance are Drift's maintenance total collateral and
 * requirement with resting orders (which Drift counts in maintenance too, so the maintenance
 * view's "no orders" shortcut does not apply); the orders' share of the initial requirement is
 * the open-order margin.
 */
function driftScopeFigures(
  state: ReadonlyEngineState,
  view: ScopeView,
  marks?: ReadonlyMap<string, bigint>,
): ScopeFigures {
  // Only a cross scope carries resting orders (as in the engine's arithmetic).
  const input =
    view.scope.kind === 'isolated'
      ? { ...view, orders: NO_ORDERS }
      : view.orders === NO_ORDERS
        ? { ...view, orders: undefined }
        : view;
  const maint = driftAccountFigures(state, input, 'maintenance', true, marks);
  const init = driftAccountFigures(state, input, 'initial', true, marks);
  const initNoOrders = driftAccountFigures(state, input, 'initial', false, marks);
  const initialPositions = new Map(init.positions.map((p) => [p.market, p]));
  const positions: PositionFigures[] = [];
  for (const p of view.positions) {
    if (p.size === 0n) continue;
    const m = maint.positions.find((x) => x.market === p.market)!;
    const market = state.markets.get(p.market)!;
    const mark = markOf(market, marks);
    positions.push({
      market: p.market,
      size: p.size,
      entryValue: p.entryValue,
      markPx8: mark,
      notionalQuote: notionalValue(
        market.config,
        p.size < 0n ? -p.size : p.size,
        mark,
        state.settlement.decimals,
        'floor',
      ),
      unrealizedPnlQuote: m.pnlQuote,
      initialQuote: initialPositions.get(p.market)?.requirementQuote ?? 0n,
      maintenanceQuote: m.requirementQuote,
    });
  }
  const collateral = (f: typeof maint) => f.spot.reduce((t, s) => t + s.weightedValueQuote, 0n);
  const raw = maint.spot.reduce((t, s) => t + s.valueQuote, 0n);
  const ordersInitial = init.marginRequirementQuote - initNoOrders.marginRequirementQuote;
  // Lazy funding: unsettled funding counts in full, as the cash it becomes when settled
  // (Drift's SDK weights it with the position's PnL; docs/funding-and-interest.md).
  const funding =
    state.config.fundingSettlement === 'lazy' ? scopePendingFundingQuote(state, view.sub, view.scope) : 0n;
  return {
    collateralInitialQuote: collateral(init),
    collateralMaintenanceQuote: collateral(maint),
    collateralRawQuote: raw,
    unrealizedPnlQuote: maint.unrealizedPnlQuote + funding,
    equityQuote: maint.totalCollateralQuote + funding,
    equityInitialQuote: init.totalCollateralQuote + funding,
    netValueQuote: maint.netValueQuote + funding,
    initialMarginQuote: initNoOrders.marginRequirementQuote,
    maintenanceMarginQuote: maint.marginRequirementQuote,
    openOrderInitialMarginQuote: ordersInitial,
    freeCollateralQuote: init.totalCollateralQuote + funding - init.marginRequirementQuote,
    healthQuote: maint.totalCollateralQuote + funding - maint.marginRequirementQuote,
    positions,
  };
}

/** One market's reservation for `orders` in a (cross) view. */
export function marketOrdersReservation(
  state: ReadonlyEngineState,
  view: ScopeView,
  marketId: string,
  orders: readonly OrderLite[],
  marks?: ReadonlyMap<string, bigint>,
) {
  const market = state.markets.get(marketId)!;
  const mark = markOf(market, marks);
  const size = reservationPositionSize(view, marketId);
  const cfg = market.config;
  const qd = state.settlement.decimals;
  const sums: OrderSums = { bids: 0n, asks: 0n, loss: 0n, fee: 0n };
  for (const o of orders) addOrderTerms(sums, o, mark, cfg.takerFee, qd, cfg);
  if (sums.bids === 0n && sums.asks === 0n) return reservationFromSums(sums, 0n, 0n, 0n);
  const cap = view.sub.maxLeverage.get(marketId);
  const { allBids, allAsks } = worstCaseSizes(size, sums.bids, sums.asks);
  const base = reservationInitialAt(state, market, size, mark, cap, marks);
  const imBids = sums.bids > 0n ? reservationInitialAt(state, market, allBids, mark, cap, marks) : 0n;
  const imAsks = sums.asks > 0n ? reservationInitialAt(state, market, allAsks, mark, cap, marks) : 0n;
  return reservationFromSums(sums, base, imBids, imAsks);
}

/**
 * The position size a market's orders are reserved against in `view`: the cross position's,
 * or for an isolated market the held one (or `orderPositionSizes`' override).
 */
export function reservationPositionSize(view: ScopeView, marketId: string): bigint {
  const held = view.sub.positions.get(marketId);
  const isolated = held?.isolated ?? view.sub.isolatedMarkets.has(marketId);
  if (isolated) return view.orderPositionSizes?.get(marketId) ?? held?.size ?? 0n;
  for (const p of view.positions) if (p.market === marketId) return p.size;
  return 0n;
}

/** The initial margin the reservation measures a signed size at (0 for no position). */
export function reservationInitialAt(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  size: bigint,
  mark: bigint,
  cap: bigint | undefined,
  marks?: ReadonlyMap<string, bigint>,
): bigint {
  return size === 0n
    ? 0n
    : positionRequirement(state, market, size, mark, cap, undefined, marks).initialQuote;
}

const NO_ORDERS: readonly OrderLite[] = Object.freeze([]);

/**
 * The view for maintenance-only figures (is it liquidatable, where does it become so): resting
 * orders never change equity, maintenance or net value, so their reservation is not computed.
 * Its free collateral leaves the reservation out: do not read it.
 */
export function maintenanceView(view: ScopeView): ScopeView {
  return view.orders === NO_ORDERS ? view : { ...view, orders: NO_ORDERS };
}

export function isLiquidatable(f: ScopeFigures): boolean {
  return f.equityQuote < f.maintenanceMarginQuote;
}

/** MM / equity in ppm (rounded up); null when equity ≤ 0 (ratio unbounded). */
export function marginRatioPpm(f: ScopeFigures): bigint | null {
  if (f.equityQuote <= 0n) return null;
  return mulDiv(f.maintenanceMarginQuote, PPM, f.equityQuote, 'ceil');
}
