/**
 * Position notional: what a position is worth at a price, in quote units.
 *
 * Scales: a size is a count of qty9 (1e-9 base unit), a price is px8 (quote per
 * whole base unit × 1e8), and the result is in the quote asset's smallest unit
 * (10^-quoteDecimals). Derivation, for size s (qty9), price p (px8):
 *
 *     value (whole quote) = (s / 1e9) × (p / 1e8) = s·p / 10^17
 *     value (quote units) = value × 10^quoteDecimals = s·p / 10^(17 − quoteDecimals)
 *
 * One exact product and a single rounding at the end, in the direction the
 * caller asks for (requirements: 'ceil'; collateral, PnL credit: 'floor').
 */
import {
  abs,
  divRound,
  InvariantError,
  PRICE_DECIMALS,
  pow10,
  QTY_DECIMALS,
  type Rounding,
} from '../num/index.ts';

/** 10^(9 + 8) — the scale of a raw size×price product, in whole quote units. */
const PRODUCT_DECIMALS = QTY_DECIMALS + PRICE_DECIMALS;

/** Converts a size×price product (scale 10^17 per whole quote) to quote units. */
function productToQuote(product: bigint, quoteDecimals: number, rounding: Rounding): bigint {
  if (!Number.isInteger(quoteDecimals) || quoteDecimals < 0) {
    throw new InvariantError(`quoteDecimals must be a non-negative integer, got ${quoteDecimals}`);
  }
  const shift = PRODUCT_DECIMALS - quoteDecimals;
  return shift >= 0 ? divRound(product, pow10(shift), rounding) : product * pow10(-shift);
}

/** Divisor turning qty9 × px8 into quote units of `quoteDecimals`. */
export function valueDivisor(quoteDecimals: number): bigint {
  return pow10(QTY_DECIMALS + PRICE_DECIMALS - quoteDecimals);
}

/**
 * |size| × price in quote units.
 *
 * @param sizeQty9 position size in qty9 (sign ignored)
 * @param px8 price in px8 (quote per whole base unit × 1e8), must be ≥ 0
 * @param quoteDecimals decimals of the quote (settlement) asset's smallest unit, e.g. 6 for USDC
 * @param rounding direction of the single final rounding
 * @example notionalQuote(1_500_000_000n, 50_000_00000000n, 6, 'ceil') // 1.5 BTC at $50,000 → 75_000_000000n
 */
export function notionalQuote(
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  if (px8 < 0n) throw new InvariantError(`negative price ${px8}`);
  return productToQuote(abs(sizeQty9) * px8, quoteDecimals, rounding);
}

/**
 * Signed size × price in quote units (a long is worth +, a short −). 'floor'
 * rounds a short's value further negative, 'ceil' towards zero.
 *
 * @param sizeQty9 signed position size in qty9 (long > 0, short < 0)
 * @param px8 price in px8, must be ≥ 0
 * @param quoteDecimals decimals of the quote asset's smallest unit
 * @param rounding direction of the single final rounding
 * @example signedValueQuote(-2_000_000_000n, 100_00000000n, 6, 'floor') // −200_000000n
 */
export function signedValueQuote(
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  if (px8 < 0n) throw new InvariantError(`negative price ${px8}`);
  return productToQuote(sizeQty9 * px8, quoteDecimals, rounding);
}
