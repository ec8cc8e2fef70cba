/**
 * Drift protocol-v2's margin arithmetic, to the unit: the margin requirement and total
 * collateral of a cross scope computed on Drift's integer grid instead of the engine's
 * (engine config `marginArithmetic: 'drift-v2'`).
 *
 * Why a second arithmetic: Drift values everything with truncating integer divisions at its own
 * precisions (prices 1e6, base 1e9, ratios and weights 1e4, IMF factors 1e6), where the engine
 * rounds conservatively at ppm and px8. The two agree to a fraction of a cent, but a venue's
 * users and auditors check figures to the unit, so the drift-v2 preset can ask for Drift's.
 * The rules are those of the Drift TypeScript SDK 2.145.0 `User` class (identical to the
 * on-chain program `math/margin.rs` for maintenance when USDC = $1), as pinned by the peer
 * fixture in test/vectors/drift/:
 *
 * - perp liability = |worst-case base| × oracle / 1e9, the worst case over resting orders being
 *   the larger liability of base + bids and base − asks; plus a fixed charge per resting order;
 * - margin ratio = max(ratio, 0.8·ratio + isqrt(10·|size| + 1)·imf / 1e7) on the 1e-4 grid
 *   (calculate_size_premium_liability_weight); for initial also at least the user's cap;
 * - unrealized PnL (signed base value − entry value; unsettled funding folded in) counts in
 *   full when negative, at the market's maintenance PnL weight when positive, and for initial
 *   at its initial PnL weight with the square-root size discount;
 * - spot collateral = token × price / 10^decimals × weight, the weight shrinking with
 *   isqrt(10·size + 1) (calculate_size_discount_asset_weight) and, for initial, capped at
 *   1 − the user's max margin ratio; a negative settlement balance (a realized loss not yet
 *   covered) counts in total collateral in full, as Drift counts an unsettled loss.
 *
 * Engine → Drift units: px8 / 100 = Drift price, qty9 = Drift base, ppm / 100 = ratio 1e4,
 * ppm = IMF 1e6, settlement units (6 decimals) = Drift quote. A leverage cap L (ppm) is the
 * margin ratio round(1e10 / L). Configuration validation (model/engine-config.ts) keeps every
 * ratio on the 1e-4 grid, so the conversions are exact.
 */
import type { AssetConfig } from '../model/config.ts';
import { type DriftMarketParams, driftMarketParams } from '../model/drift-grid.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../model/state.ts';
import { isqrt, max, parseDecimalUnsafe, pow10 } from '../num/index.ts';
import type { OrderLite } from './open-orders.ts';
import { assetPricePx8, markOf, type PositionLite } from './prices.ts';

const PRICE = 1_000_000n;
const BASE = 1_000_000_000n;
const MARGIN = 10_000n;
const IMF = 1_000_000n;
const PX8_PER_PRICE = 100n;
const PPM_PER_1E4 = 100n;

export type DriftCategory = 'initial' | 'maintenance';

/** What the arithmetic reads of a scope (a `ScopeView` fits). */
export interface DriftScopeInput {
  readonly sub: ReadonlySubaccount;
  readonly positions: readonly PositionLite[];
  readonly balances: ReadonlyMap<string, bigint>;
  readonly settlementDelta: bigint;
  /** Resting orders counted; undefined = the subaccount's current ones. */
  readonly orders?: readonly OrderLite[] | undefined;
}

/** Drift's size premium (calculate_size_premium_liability_weight), 1e4 grid; size at 1e9. */
export function driftSizePremium(size: bigint, imf1e6: bigint, ratio1e4: bigint): bigint {
  if (imf1e6 === 0n) return ratio1e4;
  const sq = isqrt(size * 10n + 1n);
  const premium = ratio1e4 - ratio1e4 / 5n + (sq * imf1e6) / ((100_000n * IMF) / MARGIN);
  return premium > ratio1e4 ? premium : ratio1e4;
}

/** Drift's size discount (calculate_size_discount_asset_weight), 1e4 grid; size at 1e9. */
export function driftSizeDiscount(size: bigint, imf1e6: bigint, weight1e4: bigint): bigint {
  if (imf1e6 === 0n) return weight1e4;
  const sq = isqrt((size < 0n ? -size : size) * 10n + 1n);
  const discount = ((IMF + IMF / 10n) * MARGIN) / (IMF + (sq * imf1e6) / 100_000n);
  return discount < weight1e4 ? discount : weight1e4;
}

/** A market's margin ratio at a size (1e9), 1e4 grid; `cap1e4` is the user's max margin ratio (initial only). */
export function driftMarginRatio(
  p: DriftMarketParams,
  absSize: bigint,
  category: DriftCategory,
  cap1e4: bigint,
): bigint {
  const base = category === 'initial' ? p.initial1e4 : p.maintenance1e4;
  const r = driftSizePremium(absSize, p.imf1e6, base);
  return category === 'initial' && cap1e4 > r ? cap1e4 : r;
}

/** A leverage cap (ppm, 5x = 5_000_000) as Drift's max margin ratio on the 1e-4 grid: round(1e10 / L). */
export function leverageCapToMarginRatio1e4(maxLeveragePpm: bigint): bigint {
  return (20_000_000_000n + maxLeveragePpm) / (2n * maxLeveragePpm);
}

/** The user's max margin ratio: the tightest of its leverage caps (Drift's is account-wide). */
export function userMaxMarginRatio1e4(sub: ReadonlySubaccount): bigint {
  let r = 0n;
  for (const lev of sub.maxLeverage.values()) {
    const m = leverageCapToMarginRatio1e4(lev);
    if (m > r) r = m;
  }
  return r;
}

/** Drift's truncated |base| × price / 1e9 (quote 1e6). */
function baseValue(absBase: bigint, price: bigint): bigint {
  return (absBase * price) / BASE;
}

export interface DriftPositionFigures {
  readonly market: string;
  readonly size: bigint;
  /** The base the requirement is taken on (worst case over resting orders when counted). */
  readonly worstCaseBase: bigint;
  readonly liabilityQuote: bigint;
  readonly ratio1e4: bigint;
  /** liability × ratio + per-order charges. */
  readonly requirementQuote: bigint;
  readonly openOrders: number;
  /** Signed base value − entry value, unweighted. */
  readonly pnlQuote: bigint;
  readonly pnlWeight1e4: bigint;
  readonly weightedPnlQuote: bigint;
}

export interface DriftSpotFigures {
  readonly asset: string;
  readonly tokenAmount: bigint;
  readonly valueQuote: bigint;
  readonly weight1e4: bigint;
  readonly weightedValueQuote: bigint;
}

export interface DriftAccountFigures {
  readonly marginRequirementQuote: bigint;
  readonly totalCollateralQuote: bigint;
  /** Unweighted: Σ spot value + Σ PnL (the account's net value at the oracle). */
  readonly netValueQuote: bigint;
  readonly unrealizedPnlQuote: bigint;
  readonly positions: readonly DriftPositionFigures[];
  readonly spot: readonly DriftSpotFigures[];
}

interface OrderTotals {
  bids: bigint;
  asks: bigint;
  count: number;
}

function ordersByMarket(state: ReadonlyEngineState, input: DriftScopeInput): Map<string, OrderTotals> {
  const out = new Map<string, OrderTotals>();
  const orders = input.orders ?? state.ordersBySub.get(input.sub.key)?.values();
  if (orders === undefined) return out;
  for (const o of orders) {
    let t = out.get(o.market);
    if (!t) {
      t = { bids: 0n, asks: 0n, count: 0 };
      out.set(o.market, t);
    }
    if (o.side === 'buy') t.bids += o.size;
    else t.asks += o.size;
    t.count++;
  }
  return out;
}

const chargeCache = new WeakMap<object, bigint>();

/** The per-order charge in settlement units (config `openOrderCharge`), 0 when absent. */
export function openOrderChargeQuote(state: ReadonlyEngineState): bigint {
  const cfg = state.config;
  const hit = chargeCache.get(cfg);
  if (hit !== undefined) return hit;
  const text = cfg.openOrderCharge;
  let v = 0n;
  if (text !== undefined) v = parseDecimalUnsafe(text, state.settlement.decimals);
  chargeCache.set(cfg, v);
  return v;
}

/** The weight of a spot deposit of `token` (asset units) on the 1e-4 grid. */
export function driftSpotWeight1e4(
  asset: AssetConfig,
  token: bigint,
  category: DriftCategory,
  userCap1e4: bigint,
  isSettlement: boolean,
): bigint {
  const dec = pow10(asset.decimals);
  const size = dec > BASE ? token / (dec / BASE) : (token * BASE) / dec;
  const w0 = (category === 'initial' ? asset.initialWeight : asset.maintenanceWeight) / PPM_PER_1E4;
  let w = driftSizeDiscount(size, asset.sizeHaircutFactor, w0);
  if (category === 'initial' && !isSettlement) {
    const cap = MARGIN - userCap1e4;
    const c = cap > 0n ? cap : 0n;
    if (c < w) w = c;
  }
  return w;
}

/**
 * The weight of a spot borrow of `token` (asset units, > 0) on the 1e-4 grid, as the SDK's
 * getSpotLiabilityValue: the liability weight with the size premium
 * (calculate_size_premium_liability_weight on the size at 1e9), for initial at least
 * 1 + the user's max margin ratio. Weight 1 when the asset has no liability weight configured.
 */
export function driftSpotLiabilityWeight1e4(
  asset: AssetConfig,
  token: bigint,
  category: DriftCategory,
  userCap1e4: bigint,
): bigint {
  const lw = asset.liabilityWeight;
  if (lw === undefined) return MARGIN;
  const dec = pow10(asset.decimals);
  const size = dec > BASE ? token / (dec / BASE) : (token * BASE) / dec;
  const w0 = (category === 'initial' ? lw.initial : lw.maintenance) / PPM_PER_1E4;
  const w = driftSizePremium(size, asset.sizeHaircutFactor, w0);
  return category === 'initial' && MARGIN + userCap1e4 > w ? MARGIN + userCap1e4 : w;
}

/**
 * Margin requirement and total collateral of a scope in Drift's arithmetic, for one category,
 * with or without resting orders (worst-case base and the per-order charge).
 */
export function driftAccountFigures(
  state: ReadonlyEngineState,
  input: DriftScopeInput,
  category: DriftCategory,
  includeOpenOrders: boolean,
  marks?: ReadonlyMap<string, bigint>,
): DriftAccountFigures {
  const userCap = userMaxMarginRatio1e4(input.sub);
  const orders = includeOpenOrders ? ordersByMarket(state, input) : undefined;
  const charge = includeOpenOrders ? openOrderChargeQuote(state) : 0n;
  let mr = 0n;
  let tc = 0n;
  let net = 0n;
  let upnl = 0n;
  const positions: DriftPositionFigures[] = [];
  const perp = (marketId: string, size: bigint, entryValue: bigint) => {
    const market = state.markets.get(marketId)!;
    const p = driftMarketParams(market.config);
    const price = markOf(market, marks) / PX8_PER_PRICE;
    const absSize = size < 0n ? -size : size;
    let wcBase = size;
    let liab = baseValue(absSize, price);
    const o = orders?.get(marketId);
    if (o !== undefined) {
      const bids = size + o.bids;
      const asks = size - o.asks;
      const lb = baseValue(bids < 0n ? -bids : bids, price);
      const la = baseValue(asks < 0n ? -asks : asks, price);
      if (la >= lb) {
        wcBase = asks;
        liab = la;
      } else {
        wcBase = bids;
        liab = lb;
      }
    }
    const lev = input.sub.maxLeverage.get(marketId);
    const cap = lev === undefined ? userCap : leverageCapToMarginRatio1e4(lev);
    const ratio = driftMarginRatio(p, wcBase < 0n ? -wcBase : wcBase, category, max(cap, userCap));
    const count = o?.count ?? 0;
    const req = (liab * ratio) / MARGIN + BigInt(count) * charge;
    mr += req;
    const bav = baseValue(absSize, price);
    const pnl = (size < 0n ? -bav : bav) - entryValue;
    let w = MARGIN;
    let weighted = pnl;
    if (pnl > 0n) {
      w =
        category === 'maintenance'
          ? p.pnlMaintenance1e4
          : driftSizeDiscount(pnl, p.pnlImf1e6, p.pnlInitial1e4);
      weighted = (pnl * w) / MARGIN;
    }
    tc += weighted;
    net += pnl;
    upnl += pnl;
    positions.push({
      market: marketId,
      size,
      worstCaseBase: wcBase,
      liabilityQuote: liab,
      ratio1e4: ratio,
      requirementQuote: req,
      openOrders: count,
      pnlQuote: pnl,
      pnlWeight1e4: w,
      weightedPnlQuote: weighted,
    });
  };
  for (const p of input.positions) if (p.size !== 0n) perp(p.market, p.size, p.entryValue);
  if (orders !== undefined) {
    // Resting orders in a market without a position: Drift keeps a position slot with base 0.
    for (const id of orders.keys())
      if (!input.positions.some((p) => p.market === id && p.size !== 0n)) perp(id, 0n, 0n);
  }
  let netQuote = 0n;
  let sawSettlement = false;
  const spot: DriftSpotFigures[] = [];
  const settlementId = state.settlement.id;
  const spotOne = (assetId: string, token: bigint) => {
    const isSettlement = assetId === settlementId;
    const asset = isSettlement ? state.settlement : state.assets.get(assetId)!;
    const px8 = assetPricePx8(state, assetId);
    if (px8 === undefined) return; // unpriced collateral counts for nothing (conservative)
    const price = px8 / PX8_PER_PRICE;
    const value = (token * price) / pow10(asset.decimals);
    net += value;
    if (token <= 0n) {
      // A negative settlement balance is a realized loss the account still owes: Drift counts an
      // unsettled loss in total collateral, in full. Another asset below zero is a borrow, in the
      // margin requirement at its liability weight (driftSpotLiabilityWeight1e4).
      let w = MARGIN;
      let wv = value;
      if (isSettlement) tc += value;
      else {
        w = driftSpotLiabilityWeight1e4(asset, -token, category, userCap);
        wv = (value * w) / MARGIN; // truncates toward zero, as Drift's unsigned liability value
        mr -= wv;
      }
      spot.push({
        asset: assetId,
        tokenAmount: token,
        valueQuote: value,
        weight1e4: w,
        weightedValueQuote: wv,
      });
      return;
    }
    const w = driftSpotWeight1e4(asset, token, category, userCap, isSettlement);
    const wv = (value * w) / MARGIN;
    if (isSettlement) netQuote += wv;
    else tc += wv;
    spot.push({
      asset: assetId,
      tokenAmount: token,
      valueQuote: value,
      weight1e4: w,
      weightedValueQuote: wv,
    });
  };
  for (const [assetId, stored] of input.balances) {
    let token = stored;
    if (assetId === settlementId) {
      token += input.settlementDelta;
      sawSettlement = true;
    }
    if (token === 0n && assetId !== settlementId) continue;
    spotOne(assetId, token);
  }
  if (!sawSettlement && input.settlementDelta !== 0n) spotOne(settlementId, input.settlementDelta);
  if (netQuote > 0n) tc += netQuote;
  else mr -= netQuote;
  return {
    marginRequirementQuote: mr,
    totalCollateralQuote: tc,
    netValueQuote: net,
    unrealizedPnlQuote: upnl,
    positions,
    spot,
  };
}

/**
 * Drift's liquidation price of the scope's position in `marketId` (User.liquidationPrice with
 * its defaults: maintenance, resting orders left out, no size change), px8; null when there is
 * none. Linear in the price: the free collateral is used up at a rate of
 * (1 − ratio) per unit of a long, (−1 − ratio) per unit of a short, plus the weighted value of a
 * spot deposit of the market's base asset (Drift: a spot market on the same oracle), which
 * moves with the same price. An account already liquidatable gets the oracle price.
 */
export function driftLiquidationPricePx8(
  state: ReadonlyEngineState,
  input: DriftScopeInput,
  marketId: string,
  marks?: ReadonlyMap<string, bigint>,
): bigint | null {
  const market = state.markets.get(marketId)!;
  const size = input.positions.find((p) => p.market === marketId)?.size ?? 0n;
  if (size === 0n) return null;
  const a = driftAccountFigures(state, input, 'maintenance', false, marks);
  const free = a.totalCollateralQuote - a.marginRequirementQuote;
  const fc = free > 0n ? free : 0n;
  const absSize = size < 0n ? -size : size;
  const p = driftMarketParams(market.config);
  const rq = (driftMarginRatio(p, absSize, 'maintenance', 0n) * PRICE) / MARGIN;
  let delta = size > 0n ? ((PRICE - rq) * size) / BASE : ((-PRICE - rq) * absSize) / BASE;
  const baseAsset = market.config.base;
  const token = baseAsset === state.settlement.id ? 0n : (input.balances.get(baseAsset) ?? 0n);
  const asset = state.assets.get(baseAsset);
  if (asset !== undefined && token > 0n) {
    const w = driftSpotWeight1e4(asset, token, 'maintenance', 0n, false);
    delta += (((PRICE * w) / MARGIN) * token) / pow10(asset.decimals);
  }
  if (delta === 0n) return null;
  const price = markOf(market, marks) / PX8_PER_PRICE;
  const liq = price - (fc * PRICE) / delta;
  return liq < 0n ? null : liq * PX8_PER_PRICE;
}
