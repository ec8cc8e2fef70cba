/**
 * dYdX v4's liquidation fill (policy `penalty: { kind: 'dydx_fillable', … }`), on the engine's
 * own figures of a scope. dYdX (x/clob/keeper/liquidations.go) closes a position with a
 * liquidation order at the *fillable price* and settles the difference between the fill and the
 * *bankruptcy price* with the insurance fund:
 *
 *   ABR             = clamp(BA × (1 − TNC / TMMR), 0, 1)                     (adjusted bankruptcy ratio)
 *   fillable price  = (PNNV − ABR × SMMR × PMMR) / PS                         (GetFillablePrice)
 *   bankruptcy quote= −DNNV − ⌊TNC × |DMMR| / TMMR⌋                            (GetBankruptcyPriceInQuoteQuantums)
 *   insurance delta = fill quote − bankruptcy quote; if > 0, min(·, ⌊|fill quote| × max fee⌋)
 *                                                                              (GetLiquidationInsuranceFundDelta)
 *
 * TNC = the scope's net value (full-weight collateral + unrealized PnL), TMMR = its maintenance
 * requirement, PNNV / PMMR / PS = the closed position's signed value at the mark, its
 * maintenance requirement and signed size; DNNV / DMMR = their change for the closed quantity.
 * BA = bankruptcy adjustment, SMMR = spread-to-maintenance-margin ratio (ppm). Quote amounts are
 * the settlement asset's units (dYdX: quote quantums, 1e-6 USDC), sizes qty9, prices px8.
 *
 * The fill price is rounded to the market tick in the liquidatee's favour (a sale up, a purchase
 * down), as dYdX converts the fillable price to subticks; the fill quote is ⌊|qty × price|⌋
 * (dYdX's FillAmountToQuoteQuantums). The same formulas are in reference/dydx-v4.ts
 * (`dydxFillablePrice`, `dydxInsuranceFundDelta`) on a dYdX-shaped subaccount; the tests run the
 * engine against dYdX's published cases and against those functions.
 */
import { clamp, divRound, max, min, PPM, roundToStep } from '../num/index.ts';

export interface DydxFillConfig {
  /** Max liquidation fee, ppm of the fill quote (dYdX default 5,000 = 0.5%). */
  readonly maxLiquidationFee: bigint;
  /** Bankruptcy adjustment BA, ppm (≥ 1,000,000; dYdX default 1,000,000). */
  readonly bankruptcyAdjustment: bigint;
  /** Spread to maintenance margin ratio SMMR, ppm (dYdX default 100,000 = 10%). */
  readonly spreadToMaintenanceMarginRatio: bigint;
}

/**
 * Fillable price of closing a position, px8, rounded to `tickPx8` in the liquidatee's favour.
 *
 * @param pnnvQuote the position's signed value at the mark (quote units)
 * @param pmmrQuote the position's maintenance requirement (quote units, ≥ 0)
 * @param sizeQty9 the position's signed size (≠ 0)
 * @param tncQuote the scope's net value; @param tmmrQuote its maintenance requirement
 * @param valueDivisor 10^(17 − quote decimals): value = qty9 × px8 / valueDivisor
 * @example dydxFillablePx8(5_000_000_000n, 500_000_000n, 100_000_000n, -100_000_000n, 500_000_000n, cfg, 10n ** 11n, 1n)
 *   // ABR = 1 (clamped) → (5000 − 0.1 × 500) / 0.1 = 49,500 → 4_950_000_000_000n
 */
export function dydxFillablePx8(
  pnnvQuote: bigint,
  pmmrQuote: bigint,
  sizeQty9: bigint,
  tncQuote: bigint,
  tmmrQuote: bigint,
  cfg: DydxFillConfig,
  valueDivisor: bigint,
  tickPx8: bigint,
): bigint {
  if (sizeQty9 === 0n) throw new RangeError('position size must not be zero');
  // ABR = abrN / abrD, clamped to [0, 1]; TMMR = 0 leaves nothing to scale (ABR = 1).
  let abrN = tmmrQuote > 0n ? cfg.bankruptcyAdjustment * (tmmrQuote - tncQuote) : 1n;
  let abrD = tmmrQuote > 0n ? PPM * tmmrQuote : 1n;
  abrN = clamp(abrN, 0n, abrD);
  if (abrN === abrD) {
    abrN = 1n;
    abrD = 1n;
  }
  // price = (PNNV − ABR·SMMR·PMMR) / PS, in px8: × valueDivisor / qty9.
  const den = abrD * PPM;
  let num = (pnnvQuote * den - abrN * cfg.spreadToMaintenanceMarginRatio * pmmrQuote) * valueDivisor;
  let d = den * sizeQty9;
  if (d < 0n) {
    num = -num;
    d = -d;
  }
  const sale = sizeQty9 > 0n; // closing a long sells
  const px = max(0n, divRound(num, d, sale ? 'ceil' : 'floor'));
  return roundToStep(px, tickPx8, sale ? 'ceil' : 'floor');
}

/**
 * Quote the scope receives (+, closing a long) or pays (−, closing a short) to close a quantity
 * at its bankruptcy price: −DNNV − ⌊TNC × |DMMR| / TMMR⌋.
 *
 * @param deltaNnvQuote value of the rest of the position − value of the whole (at the mark)
 * @param deltaMmrQuote maintenance requirement after − before (≤ 0 for a reducing close)
 */
export function dydxBankruptcyQuote(
  tncQuote: bigint,
  tmmrQuote: bigint,
  deltaNnvQuote: bigint,
  deltaMmrQuote: bigint,
): bigint {
  if (deltaMmrQuote > 0n) throw new RangeError('a reducing close cannot raise the maintenance requirement');
  const share = tmmrQuote > 0n ? divRound(tncQuote * -deltaMmrQuote, tmmrQuote, 'floor') : 0n;
  return -deltaNnvQuote - share;
}

/**
 * Net payment of the liquidated scope to the insurance fund (+) or of the fund to the scope (−).
 *
 * @param fillQuoteAbs |fill quote| = ⌊qty × fill price⌋
 * @param sale the close sells (the position is a long)
 */
export function dydxInsuranceDelta(
  fillQuoteAbs: bigint,
  sale: boolean,
  bankruptcyQuote: bigint,
  maxLiquidationFeePpm: bigint,
): bigint {
  const delta = (sale ? fillQuoteAbs : -fillQuoteAbs) - bankruptcyQuote;
  if (delta <= 0n) return delta;
  return min(delta, divRound(fillQuoteAbs * maxLiquidationFeePpm, PPM, 'floor'));
}
