/**
 * The margin-model port. A market's requirement for one position comes from a
 * pluggable model chosen by validated configuration (see ./config.ts).
 *
 * All outputs are in quote units (the settlement asset's smallest unit) and are
 * rounded UP: a requirement is never understated by rounding.
 */

export interface PositionExposure {
  /** |size| in base units at QTY_DECIMALS (9). */
  readonly sizeQty9: bigint;
  /** |size| × mark price in quote units (rounded up by the caller, see notionalQuote()). */
  readonly notionalQuote: bigint;
}

export interface MarketContext {
  /** Open interest of the market (one side) valued at the mark, quote units. */
  readonly openInterestQuote: bigint;
}

export interface MarginRequirement {
  readonly initialQuote: bigint;
  readonly maintenanceQuote: bigint;
}

export interface MarginModel {
  readonly kind: string;
  requirement(exposure: PositionExposure, market: MarketContext): MarginRequirement;
}
