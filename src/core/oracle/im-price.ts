/**
 * The stricter price for initial-margin checks.
 *
 * Opening or increasing risk is judged at the worse of the spot mark and its TWAP
 * *for the account*: a long is worth less at the lower price, a short owes more at the
 * higher one. A sudden spike thus cannot be borrowed against before it has lasted
 * (maintenance margin and liquidation keep using the mark itself).
 */

/** Side of the position after the trade: a long (size > 0) or a short (size < 0). */
export type PositionSide = 'long' | 'short';

/**
 * @param spotPx8 the guarded mark (px8)
 * @param twapPx8 the mark's TWAP (px8); null (no history) means the mark
 * @returns min(spot, twap) for a long, max(spot, twap) for a short (px8)
 * @example stricterInitialMarginPrice('long', 100n, 90n) === 90n
 */
export function stricterInitialMarginPrice(
  side: PositionSide,
  spotPx8: bigint,
  twapPx8: bigint | null,
): bigint {
  if (twapPx8 === null) return spotPx8;
  if (side === 'long') return spotPx8 < twapPx8 ? spotPx8 : twapPx8;
  return spotPx8 > twapPx8 ? spotPx8 : twapPx8;
}

/** The side of a signed size (qty9): > 0 long, < 0 short; null when flat. */
export function sideOf(sizeQty9: bigint): PositionSide | null {
  return sizeQty9 > 0n ? 'long' : sizeQty9 < 0n ? 'short' : null;
}
