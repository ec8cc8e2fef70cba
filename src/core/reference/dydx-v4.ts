/**
 * dYdX v4's liquidation formulas on a dYdX-shaped subaccount (USDC plus perpetual positions on
 * liquidity tiers), written as x/clob/keeper/liquidations.go states them: net collateral and
 * requirements (TNC, TIMR, TMMR), the trigger TNC < TMMR, the bankruptcy quote, the fillable
 * price and the insurance-fund delta. A test reference only: the engine computes the same on its
 * own figures (liquidation/fill-price.ts, engine/liquidation/dydx-step.ts), and the tests check
 * both against dYdX's published cases and each other. Formulas in presets/dydx-v4.ts's header.
 */
import { signedValueQuote } from '../margin/notional.ts';
import { maintenanceFractionPpm } from '../margin/ratios.ts';
import { abs, divRound, InvariantError, min, PPM } from '../num/index.ts';
import { DYDX_LIQUIDATIONS_CONFIG, type LiquidityTier } from '../presets/dydx-v4.ts';
import { clamp, div, mul, ONE, type Rational, rat, ratScaled, sub, ZERO } from '../presets/rational.ts';

/** One perpetual position of a dYdX subaccount. */
export interface DydxPosition {
  readonly market: string;
  /** Signed size, qty9. */
  readonly sizeQty9: bigint;
  /** Oracle price, px8. */
  readonly oraclePx8: bigint;
  readonly tier: LiquidityTier;
}

export interface DydxSubaccount {
  /** USDC asset position (may be negative), quote units 1e-6. */
  readonly usdcQuote: bigint;
  readonly positions: readonly DydxPosition[];
}

/** Net collateral (signed notional) and requirements of one position, quote units 1e-6 (no OI scaling). */
export function dydxPositionRisk(sizeQty9: bigint, oraclePx8: bigint, tier: LiquidityTier) {
  const nc = signedValueQuote(sizeQty9, oraclePx8, 6, 'trunc');
  const notional = abs(nc);
  const imr = divRound(notional * tier.initialMarginPpm, PPM, 'ceil');
  const mmPpm = maintenanceFractionPpm(tier.initialMarginPpm, tier.maintenanceFractionPpm);
  const mmr = divRound(notional * mmPpm, PPM, 'ceil');
  return { nc, imr, mmr };
}

/** TNC and TMMR of a subaccount (quote units). */
export function dydxSubaccountRisk(s: DydxSubaccount): { tnc: bigint; timr: bigint; tmmr: bigint } {
  let tnc = s.usdcQuote;
  let timr = 0n;
  let tmmr = 0n;
  for (const p of s.positions) {
    const r = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
    tnc += r.nc;
    timr += r.imr;
    tmmr += r.mmr;
  }
  return { tnc, timr, tmmr };
}

/** dYdX's trigger: TMMR > 0 and TNC < TMMR. */
export function dydxIsLiquidatable(s: DydxSubaccount): boolean {
  const r = dydxSubaccountRisk(s);
  return r.tmmr > 0n && r.tnc < r.tmmr;
}

function positionOf(s: DydxSubaccount, market: string, deltaQty9: bigint): DydxPosition {
  const p = s.positions.find((x) => x.market === market);
  if (!p) throw new RangeError(`no ${market} position`);
  if (deltaQty9 === 0n || p.sizeQty9 > 0n === deltaQty9 > 0n || abs(deltaQty9) > abs(p.sizeQty9))
    throw new RangeError(`position size delta ${deltaQty9} is invalid for a position of ${p.sizeQty9}`);
  return p;
}

/**
 * Quote the subaccount receives (+) or pays (−) for closing `deltaQty9` (opposite
 * sign of the position) at its bankruptcy price, rounded toward +∞ so that the
 * close needs no insurance-fund payment (GetBankruptcyPriceInQuoteQuantums).
 *
 *     −DNNV − ⌊TNC × |DMMR| / TMMR⌋
 */
export function dydxBankruptcyPriceQuote(s: DydxSubaccount, market: string, deltaQty9: bigint): bigint {
  const p = positionOf(s, market, deltaQty9);
  const total = dydxSubaccountRisk(s);
  const before = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
  const after = dydxPositionRisk(p.sizeQty9 + deltaQty9, p.oraclePx8, p.tier);
  const deltaNc = after.nc - before.nc;
  const deltaMmr = after.mmr - before.mmr;
  if (deltaMmr > 0n) throw new InvariantError('DMMR is positive for a reducing delta');
  return -deltaNc - divRound(total.tnc * -deltaMmr, total.tmmr, 'floor');
}

/**
 * Fillable price of a liquidation order, quote per whole base unit (exact
 * rational; dYdX returns it per base quantum) (GetFillablePrice):
 *
 *     (PNNV − ABR × SMMR × PMMR) / PS,   ABR = clamp(BA × (1 − TNC / TMMR), 0, 1)
 */
export function dydxFillablePrice(
  s: DydxSubaccount,
  market: string,
  deltaQty9: bigint,
  cfg: {
    bankruptcyAdjustmentPpm: bigint;
    spreadToMaintenanceMarginRatioPpm: bigint;
  } = DYDX_LIQUIDATIONS_CONFIG,
): Rational {
  const p = positionOf(s, market, deltaQty9);
  const total = dydxSubaccountRisk(s);
  const pos = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
  const unbounded = mul(sub(ONE, rat(total.tnc, total.tmmr)), rat(cfg.bankruptcyAdjustmentPpm, PPM));
  const abr = clamp(unbounded, ZERO, ONE);
  const spread = mul(ratScaled(pos.mmr, 6), rat(cfg.spreadToMaintenanceMarginRatioPpm, PPM));
  const quote = sub(ratScaled(pos.nc, 6), mul(abr, spread));
  const price = div(quote, ratScaled(p.sizeQty9, 9));
  if (price.n < 0n) throw new InvariantError('fillable price is negative');
  return price;
}

/**
 * Net payment between the liquidated subaccount and the insurance fund for a
 * liquidation fill (+: the subaccount pays a fee to the fund; −: the fund covers
 * a loss), quote units (GetLiquidationInsuranceFundDelta):
 *
 *     delta = fill quote − bankruptcy quote;  delta ≤ 0 → delta;  else min(delta, |fill quote| × max fee)
 *
 * @param isBuy the liquidation order buys (closes a short)
 * @param fillQty9 filled size, qty9 (> 0)
 * @param fillPx8 fill price, px8; the fill's quote is rounded down as dYdX's FillAmountToQuoteQuantums
 */
export function dydxInsuranceFundDelta(
  s: DydxSubaccount,
  market: string,
  isBuy: boolean,
  fillQty9: bigint,
  fillPx8: bigint,
  maxLiquidationFeePpm: bigint = DYDX_LIQUIDATIONS_CONFIG.maxLiquidationFeePpm,
): bigint {
  if (fillQty9 <= 0n) throw new RangeError('fill amount must be positive');
  const fillQuoteAbs = signedValueQuote(fillQty9, fillPx8, 6, 'floor');
  const deltaQuote = isBuy ? -fillQuoteAbs : fillQuoteAbs;
  const deltaQty9 = isBuy ? fillQty9 : -fillQty9;
  const bankruptcy = dydxBankruptcyPriceQuote(s, market, deltaQty9);
  const delta = deltaQuote - bankruptcy;
  if (delta <= 0n) return delta;
  const maxFee = divRound(fillQuoteAbs * maxLiquidationFeePpm, PPM, 'floor');
  return min(delta, maxFee);
}
