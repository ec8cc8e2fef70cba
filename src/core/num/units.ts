/**
 * The engine's fixed scales. Every quantity's scale is one of these; names carry
 * the suffix (`px8`, `qty9`, `ppm`, `rate9`). Money is kept in each asset's own
 * smallest unit (`Asset.decimals`); the settlement (quote) asset's units are `quote`.
 */

/** Prices: quote currency per one whole base unit, 8 decimals (matches exchange data). */
export const PRICE_DECIMALS = 8;
/** Position sizes: base units, 9 decimals (1 qty9 = 1e-9 BTC). */
export const QTY_DECIMALS = 9;
/** Ratios (margin fractions, weights, fees): parts per million, 1_000_000 = 100%. */
export const PPM = 1_000_000n;
export const PPM_DECIMALS = 6;
/** Funding rates: parts per billion per funding interval (Binance publishes 1e-8). */
export const RATE_DECIMALS = 9;
export const RATE_ONE = 1_000_000_000n;
/** Cumulative funding index: quote per whole base unit, 18 decimals. */
export const FUNDING_INDEX_DECIMALS = 18;
